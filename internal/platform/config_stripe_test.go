package platform

import (
	"strings"
	"testing"
	"time"
)

func TestStripeSettings(t *testing.T) {
	load := func(env map[string]string) (Config, error) {
		return Load(func(k string) string { return env[k] }, nil)
	}
	c, err := load(nil)
	if err != nil || c.StripeKey != "" || c.DunningGrace != 72*time.Hour {
		t.Fatalf("defaults: %+v %v", c.DunningGrace, err)
	}
	c, err = load(map[string]string{"OPSWARD_STRIPE_KEY": "sk_test_123", "OPSWARD_STRIPE_WEBHOOK_SECRET": "whsec_abc",
		"OPSWARD_STRIPE_API_URL": "http://127.0.0.1:12111", "OPSWARD_BILLING_DUNNING_GRACE": "96h"})
	if err != nil || c.StripeKey != "sk_test_123" || c.DunningGrace != 96*time.Hour || c.StripeAPIURL != "http://127.0.0.1:12111" {
		t.Fatalf("Stripe settings: %v", err)
	}
	for name, c := range map[string]struct {
		env   map[string]string
		names string
	}{
		"key alone":      {map[string]string{"OPSWARD_STRIPE_KEY": "sk_test_123"}, "OPSWARD_STRIPE_WEBHOOK_SECRET"},
		"secret alone":   {map[string]string{"OPSWARD_STRIPE_WEBHOOK_SECRET": "whsec_abc"}, "OPSWARD_STRIPE_KEY"},
		"publishable":    {map[string]string{"OPSWARD_STRIPE_KEY": "pk_test_123", "OPSWARD_STRIPE_WEBHOOK_SECRET": "whsec_abc"}, "OPSWARD_STRIPE_KEY"},
		"bad secret":     {map[string]string{"OPSWARD_STRIPE_KEY": "sk_test_123", "OPSWARD_STRIPE_WEBHOOK_SECRET": "abc"}, "OPSWARD_STRIPE_WEBHOOK_SECRET"},
		"bad URL":        {map[string]string{"OPSWARD_STRIPE_API_URL": "ftp://x"}, "OPSWARD_STRIPE_API_URL"},
		"negative grace": {map[string]string{"OPSWARD_BILLING_DUNNING_GRACE": "-1h"}, "OPSWARD_BILLING_DUNNING_GRACE"},
		"long grace":     {map[string]string{"OPSWARD_BILLING_DUNNING_GRACE": "2161h"}, "OPSWARD_BILLING_DUNNING_GRACE"},
	} {
		_, err := load(c.env)
		if err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("%s: %v, want an error naming %s", name, err, c.names)
		}
		if err != nil && strings.Contains(err.Error(), "sk_test_123") {
			t.Errorf("%s: the error repeats the key: %v", name, err)
		}
	}
}
