package stripeapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	portal "github.com/stripe/stripe-go/v76/billingportal/session"
	"github.com/stripe/stripe-go/v76/customer"
	"github.com/stripe/stripe-go/v76/invoiceitem"
	"github.com/stripe/stripe-go/v76/price"
	"github.com/stripe/stripe-go/v76/subscription"
	"github.com/stripe/stripe-go/v76/subscriptionitem"
	"github.com/stripe/stripe-go/v76/usagerecord"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
)

// Config says how to reach Stripe.
type Config struct {
	// Key is the secret API key. It is sent in the Authorization header
	// only; it is never formatted into an error or a log line.
	Key string
	// URL is the API's base URL; empty for Stripe itself
	// (https://api.stripe.com). Tests point it at stripe-mock.
	URL string
	// HTTP is the client requests go through; nil: one with a 30 s
	// timeout. Stripe is a fixed destination chosen by the operator, not
	// by a tenant, so it needs no SSRF guard.
	HTTP *http.Client
	// Retries is how many times stripe-go itself retries a request that
	// failed on the network or with a retryable status, with the same
	// idempotency key. Default 1; the dispatch job retries beyond that.
	Retries int64
}

// Client is billing.StripeAPI on stripe-go v76.
type Client struct {
	key     string
	backend stripe.Backend
}

var _ billing.StripeAPI = (*Client)(nil)

// New returns the client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Key == "" {
		return nil, opsward.FieldErrorf("OPSWARD_STRIPE_KEY", "a Stripe API key is required")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Retries == 0 {
		cfg.Retries = 1
	}
	bc := &stripe.BackendConfig{
		HTTPClient:        cfg.HTTP,
		MaxNetworkRetries: stripe.Int64(max(cfg.Retries, 0)),
		// stripe-go's own logger would write to stderr outside slog.
		LeveledLogger:   &stripe.LeveledLogger{Level: stripe.LevelNull},
		EnableTelemetry: stripe.Bool(false),
	}
	if cfg.URL != "" {
		bc.URL = stripe.String(strings.TrimRight(cfg.URL, "/"))
	}
	return &Client{key: cfg.Key, backend: stripe.GetBackendWithConfig(stripe.APIBackend, bc)}, nil
}

func (c *Client) params(ctx context.Context, p *stripe.Params, idem string) {
	p.Context = ctx
	if idem != "" {
		p.SetIdempotencyKey(idem)
	}
}

// EnsureCustomer creates the customer; the idempotency key makes a retry
// return the first one.
func (c *Client) EnsureCustomer(ctx context.Context, idem string, in billing.StripeCustomerInput) (string, error) {
	p := &stripe.CustomerParams{Name: stripe.String(in.Name), Metadata: map[string]string{"opsward_tenant_id": in.TenantID}}
	if in.Email != "" {
		p.Email = stripe.String(in.Email)
	}
	c.params(ctx, &p.Params, idem)
	cus, err := (&customer.Client{B: c.backend, Key: c.key}).New(p)
	if err != nil {
		return "", c.wrap("create customer", err)
	}
	return cus.ID, nil
}

// CreatePrice creates a recurring price with its product.
func (c *Client) CreatePrice(ctx context.Context, idem string, in billing.StripePriceInput) (string, error) {
	iv := "month"
	if in.Interval == billing.Yearly {
		iv = "year"
	}
	p := &stripe.PriceParams{
		Currency:    stripe.String(strings.ToLower(in.Currency)),
		UnitAmount:  stripe.Int64(in.UnitAmount),
		ProductData: &stripe.PriceProductDataParams{Name: stripe.String(in.Name)},
		Recurring:   &stripe.PriceRecurringParams{Interval: stripe.String(iv), UsageType: stripe.String("licensed")},
		Metadata:    map[string]string{"opsward_meter": in.Meter},
	}
	if in.Metered {
		p.Recurring.UsageType = stripe.String("metered")
		p.Recurring.AggregateUsage = stripe.String("sum")
	}
	c.params(ctx, &p.Params, idem)
	pr, err := (&price.Client{B: c.backend, Key: c.key}).New(p)
	if err != nil {
		return "", c.wrap("create price", err)
	}
	return pr.ID, nil
}

// CreateSubscription subscribes the customer to the base price and
// returns the subscription and its one item.
func (c *Client) CreateSubscription(ctx context.Context, idem, customerID, basePriceID string) (string, string, error) {
	p := &stripe.SubscriptionParams{
		Customer: stripe.String(customerID),
		Items:    []*stripe.SubscriptionItemsParams{{Price: stripe.String(basePriceID), Quantity: stripe.Int64(1)}},
	}
	c.params(ctx, &p.Params, idem)
	sub, err := (&subscription.Client{B: c.backend, Key: c.key}).New(p)
	if err != nil {
		return "", "", c.wrap("create subscription", err)
	}
	if sub.Items == nil || len(sub.Items.Data) == 0 {
		return "", "", fmt.Errorf("stripe: subscription %s came back without items", sub.ID)
	}
	return sub.ID, sub.Items.Data[0].ID, nil
}

// AddItem adds a metered price to the subscription.
func (c *Client) AddItem(ctx context.Context, idem, subscriptionID, priceID string) (string, error) {
	p := &stripe.SubscriptionItemParams{Subscription: stripe.String(subscriptionID), Price: stripe.String(priceID)}
	c.params(ctx, &p.Params, idem)
	it, err := (&subscriptionitem.Client{B: c.backend, Key: c.key}).New(p)
	if err != nil {
		return "", c.wrap("add subscription item", err)
	}
	return it.ID, nil
}

// SwapItemPrice moves a subscription item to another price without
// proration (Opsward prorates).
func (c *Client) SwapItemPrice(ctx context.Context, idem, itemID, priceID string) error {
	p := &stripe.SubscriptionItemParams{Price: stripe.String(priceID), ProrationBehavior: stripe.String("none")}
	c.params(ctx, &p.Params, idem)
	if _, err := (&subscriptionitem.Client{B: c.backend, Key: c.key}).Update(itemID, p); err != nil {
		return c.wrap("change subscription item price", err)
	}
	return nil
}

// ReportUsage adds quantity to a metered item at a time, through
// usagerecord.New.
func (c *Client) ReportUsage(ctx context.Context, idem, itemID string, quantity int64, at time.Time) error {
	p := &stripe.UsageRecordParams{
		SubscriptionItem: stripe.String(itemID),
		Quantity:         stripe.Int64(quantity),
		Timestamp:        stripe.Int64(at.Unix()),
		Action:           stripe.String("increment"),
	}
	c.params(ctx, &p.Params, idem)
	if _, err := (&usagerecord.Client{B: c.backend, Key: c.key}).New(p); err != nil {
		return c.wrap("report usage", err)
	}
	return nil
}

// AddInvoiceItem adds a signed amount to the subscription's next invoice,
// with the Opsward invoice it settles in its metadata.
func (c *Client) AddInvoiceItem(ctx context.Context, idem string, in billing.StripeInvoiceItemInput) (string, error) {
	p := &stripe.InvoiceItemParams{
		Customer:    stripe.String(in.CustomerID),
		Amount:      stripe.Int64(in.Amount),
		Currency:    stripe.String(strings.ToLower(in.Currency)),
		Description: stripe.String(in.Description),
		Metadata:    map[string]string{"opsward_invoice_id": in.InvoiceID},
	}
	if in.SubscriptionID != "" {
		p.Subscription = stripe.String(in.SubscriptionID)
	}
	c.params(ctx, &p.Params, idem)
	it, err := (&invoiceitem.Client{B: c.backend, Key: c.key}).New(p)
	if err != nil {
		return "", c.wrap("add invoice item", err)
	}
	return it.ID, nil
}

// PortalURL opens a billing portal session for the customer.
func (c *Client) PortalURL(ctx context.Context, customerID, returnURL string) (string, error) {
	p := &stripe.BillingPortalSessionParams{Customer: stripe.String(customerID)}
	if returnURL != "" {
		p.ReturnURL = stripe.String(returnURL)
	}
	c.params(ctx, &p.Params, "")
	s, err := (&portal.Client{B: c.backend, Key: c.key}).New(p)
	if err != nil {
		return "", c.wrap("open billing portal session", err)
	}
	return s.URL, nil
}

// wrap keeps Stripe's status and message and marks a request Stripe
// refused as invalid as permanent. Stripe's message can quote the
// Authorization header (a 401 does): every secret key is scrubbed from it.
func (c *Client) wrap(what string, err error) error {
	var se *stripe.Error
	if errors.As(err, &se) {
		permanent := se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 &&
			se.HTTPStatusCode != http.StatusTooManyRequests && se.HTTPStatusCode != http.StatusConflict
		return &billing.StripeError{Op: what, Status: se.HTTPStatusCode, Message: c.scrub(se.Msg), Permanent: permanent}
	}
	return &billing.StripeError{Op: what, Message: c.scrub(err.Error())}
}

// secretKey matches Stripe's secret and restricted keys.
var secretKey = regexp.MustCompile(`\b(sk|rk)_(test|live)_[0-9A-Za-z_]+`)

func (c *Client) scrub(s string) string {
	s = strings.ReplaceAll(s, c.key, "[key]")
	return secretKey.ReplaceAllString(s, "[key]")
}

// Tolerance is how old a webhook signature may be.
const Tolerance = 300 * time.Second

// Verify checks a webhook's Stripe-Signature header with webhook.ConstructEvent
// (300 s tolerance, the API version stripe-go v76 speaks) and returns the
// event as billing reads it. Any failure is an invalid error: the caller
// answers 400 and processes nothing.
func Verify(payload []byte, header, secret string) (billing.StripeEvent, error) {
	ev, err := webhook.ConstructEvent(payload, header, secret)
	if err != nil {
		return billing.StripeEvent{}, opsward.FieldErrorf("Stripe-Signature", "webhook refused: %v", err)
	}
	if ev.Data == nil { // "data": null, or none
		return billing.ParseStripeEvent(ev.ID, string(ev.Type), ev.Created, nil)
	}
	return billing.ParseStripeEvent(ev.ID, string(ev.Type), ev.Created, ev.Data.Raw)
}
