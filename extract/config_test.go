package extract

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestURLsForInstance(t *testing.T) {
	banking, wealth := URLsForInstance("toolbox")
	if banking != "https://toolbox-api.private.fin.ag" || wealth != "https://toolbox-wealth-api.private.fin.ag" {
		t.Errorf("URLsForInstance(toolbox) = %q, %q", banking, wealth)
	}
}

func TestNewBuildsEndpointURLs(t *testing.T) {
	banking, wealth := URLsForInstance("acme")
	c, err := New(Config{BankingURL: banking + "/", WealthURL: wealth, CustomerID: "cust-1"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		c.tokenURL:       "https://acme-api.private.fin.ag/v3/cust-1/BankingServices/GenerateAuthorizeToken",
		c.authorizeURL:   "https://acme-api.private.fin.ag/v3/cust-1/BankingServices/Authorize",
		c.investmentsURL: "https://acme-wealth-api.private.fin.ag/v3/cust-1/Investments",
	}
	for got, w := range want {
		if got != w {
			t.Errorf("URL %q, want %q", got, w)
		}
	}
}

func TestNewValidates(t *testing.T) {
	ok := Config{BankingURL: "http://127.0.0.1:1", WealthURL: "http://127.0.0.1:1", CustomerID: "c"}
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no banking URL", func(c *Config) { c.BankingURL = "" }},
		{"relative wealth URL", func(c *Config) { c.WealthURL = "/v3" }},
		{"ftp URL", func(c *Config) { c.BankingURL = "ftp://x" }},
		{"no customer", func(c *Config) { c.CustomerID = "" }},
		{"customer with slash", func(c *Config) { c.CustomerID = "a/b" }},
		{"negative rate", func(c *Config) { c.Rate = -1 }},
		{"negative interval", func(c *Config) { c.PollInterval = -1 }},
	}
	if _, err := New(ok); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			if _, err := New(cfg); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := New(Config{BankingURL: "http://h", WealthURL: "http://h", CustomerID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	got := c.cfg
	if got.PollInterval != DefaultPollInterval || got.PollTimeout != DefaultPollTimeout ||
		got.MaxAttempts != DefaultMaxAttempts || got.MaxReauth != DefaultMaxReauth ||
		got.MaxBodyBytes != DefaultMaxBodyBytes || got.Rate != DefaultRate {
		t.Errorf("defaults not applied: %v", got)
	}
	tr, ok := got.HTTP.Transport.(*http.Transport)
	if !ok || tr.TLSClientConfig.InsecureSkipVerify || tr.MaxIdleConnsPerHost < 64 {
		t.Errorf("transport not tuned or verification off: %#v", tr)
	}
	if got.HTTP.CheckRedirect == nil {
		t.Error("redirects would be followed (and carry our secret headers)")
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	const canary = "CANARY-secret-7f3a"
	cfg := Config{BankingURL: "http://h", WealthURL: "http://h", CustomerID: "c", SecretKey: canary, APIKey: canary + "-api"}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(format, cfg); strings.Contains(s, "CANARY") {
			t.Errorf("%s printed a secret: %s", format, s)
		}
	}
	var logs logBuffer
	debugLogger(&logs).Info("config", "cfg", cfg)
	if strings.Contains(logs.String(), "CANARY") || !strings.Contains(logs.String(), "SecretKey:set") {
		t.Errorf("slog printed a secret, or not the config: %s", logs.String())
	}
}

func TestHashLogin(t *testing.T) {
	id := "5e115eac-1209-4f19-641c-08d6d484e2fe"
	h := HashLogin(id)
	if len(h) != 12 || strings.Contains(id, h) || h != HashLogin(id) || h == HashLogin(id+"x") {
		t.Errorf("HashLogin(%q) = %q: want a stable 12-digit hash unlike the id", id, h)
	}
}
