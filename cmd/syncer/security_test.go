package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncer/syncer/extract/flinkstest"
)

const (
	canarySecret = "canary-secret-5f1d0c2e9b7a"
	canaryAPIKey = "canary-apikey-3e8b7c6d5a4f"
)

// TestSecretsNeverShow runs the secret-key flow with canary secrets and
// checks that no output of the process (logs in both formats, summary,
// errors, --help) carries them or a LoginId, and that a wrong secret stops
// the run with exit 1.
func TestSecretsNeverShow(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 3, SecretKey: canarySecret, APIKey: canaryAPIKey, Pending: flinkstest.FixedPending(1)})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(canarySecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logins := flinkstest.DemoLogins(3, 5)
	args := []string{"sync", "--base-url", srv.URL, "--db", filepath.Join(dir, "w.duckdb"), "--poll-interval", "1ms",
		"--secret-key-file", secretFile, "--logins", writeLogins(t, dir, logins)}
	env := []string{"FLINKS_API_KEY=" + canaryAPIKey}

	var outputs []result
	for _, format := range []string{"text", "json"} {
		r := syncer(t, dir, env, append(args, "--log-format", format)...)
		if r.code != exitOK {
			t.Fatalf("%s logs: want exit 0\n%s", format, r)
		}
		outputs = append(outputs, r)
	}
	if n := srv.Count(flinkstest.EndpointGenerateToken, ""); n < len(logins) {
		t.Errorf("%d tokens generated for %d logins: the secret-key flow was not used", n, len(logins))
	}
	for _, cmd := range []string{"sync", "backfill", "retry", "schedule", "status", "sql", "sandbox"} {
		outputs = append(outputs, syncer(t, dir, append(env, "FLINKS_SECRET_KEY="+canarySecret), cmd, "--help"))
	}
	wrong := syncer(t, dir, []string{"FLINKS_SECRET_KEY=not-the-secret", "FLINKS_API_KEY=" + canaryAPIKey},
		"sync", "--base-url", srv.URL, "--db", filepath.Join(dir, "w2.duckdb"), "--login", logins[0], "--log-format", "json")
	if wrong.code != exitFailed || !strings.Contains(wrong.stderr, "UNAUTHORIZED") {
		t.Errorf("a wrong secret key: want exit 1 naming UNAUTHORIZED\n%s", wrong)
	}
	outputs = append(outputs, wrong)
	for _, r := range outputs {
		for _, s := range append([]string{canarySecret, canaryAPIKey}, logins...) {
			if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
				t.Errorf("output carries a secret or LoginId %.12s…:\n%s", s, r)
			}
		}
	}
}
