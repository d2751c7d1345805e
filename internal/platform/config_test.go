package platform

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestLoadDefaults(t *testing.T) {
	c, err := Load(func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.DataDir != "./data" || !c.Embedded() || !c.EmbeddedRedis() {
		t.Fatalf("defaults: %+v", c)
	}
	if !c.Introspection() || !c.MigrateAtStart() {
		t.Fatal("the embedded default has introspection and migrations at start on")
	}
	c.DatabaseURL, c.MigrateDatabaseURL = "postgres://h/db", "postgres://h/db"
	if c.Introspection() || c.MigrateAtStart() {
		t.Fatal("with Postgres, auto turns introspection and migrations at start off")
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse([]string{"--http-addr", "127.0.0.1:9999", "--read-timeout", "5s"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OPSWARD_HTTP_ADDR": "127.0.0.1:1111", "OPSWARD_LOG_FORMAT": "json"}
	c, err := Load(func(k string) string { return env[k] }, fs)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:9999" || c.LogFormat != "json" || c.ReadTimeout != 5*time.Second {
		t.Fatalf("got %+v", c)
	}
}

func TestValidateNamesTheSetting(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"address":           {map[string]string{"OPSWARD_HTTP_ADDR": "8080"}, "OPSWARD_HTTP_ADDR"},
		"port":              {map[string]string{"OPSWARD_HTTP_ADDR": "127.0.0.1:99999"}, "OPSWARD_HTTP_ADDR"},
		"database scheme":   {map[string]string{"OPSWARD_DATABASE_URL": "sqlite://x"}, "OPSWARD_DATABASE_URL"},
		"database no host":  {map[string]string{"OPSWARD_DATABASE_URL": "postgres:///db"}, "OPSWARD_DATABASE_URL: the URL names no host"},
		"migrate alone":     {map[string]string{"OPSWARD_MIGRATE_DATABASE_URL": "postgres://h/db"}, "OPSWARD_MIGRATE_DATABASE_URL"},
		"redis scheme":      {map[string]string{"OPSWARD_REDIS_URL": "tcp://h:6379"}, "OPSWARD_REDIS_URL"},
		"redis prefix":      {map[string]string{"OPSWARD_REDIS_PREFIX": "a{b}"}, "OPSWARD_REDIS_PREFIX"},
		"log format":        {map[string]string{"OPSWARD_LOG_FORMAT": "xml"}, "OPSWARD_LOG_FORMAT"},
		"log level":         {map[string]string{"OPSWARD_LOG_LEVEL": "chatty"}, "OPSWARD_LOG_LEVEL"},
		"cors":              {map[string]string{"OPSWARD_CORS_ORIGINS": "portal.example.com"}, "OPSWARD_CORS_ORIGINS"},
		"introspection":     {map[string]string{"OPSWARD_GRAPHQL_INTROSPECTION": "maybe"}, "OPSWARD_GRAPHQL_INTROSPECTION"},
		"depth":             {map[string]string{"OPSWARD_GRAPHQL_MAX_DEPTH": "-1"}, "OPSWARD_GRAPHQL_MAX_DEPTH"},
		"duration":          {map[string]string{"OPSWARD_SHUTDOWN_TIMEOUT": "10"}, "OPSWARD_SHUTDOWN_TIMEOUT"},
		"body limit":        {map[string]string{"OPSWARD_BODY_LIMIT": "lots"}, "OPSWARD_BODY_LIMIT"},
		"password no email": {map[string]string{"OPSWARD_BOOTSTRAP_PASSWORD": "x"}, "OPSWARD_BOOTSTRAP_PASSWORD"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(func(k string) string { return tc.env[k] }, nil)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to start with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	got := redactURL("postgres://app:s3cret@db:5432/opsward?sslmode=require&password=x")
	if strings.Contains(got, "s3cret") || strings.Contains(got, "password=x") {
		t.Fatalf("redactURL leaked a secret: %s", got)
	}
}
