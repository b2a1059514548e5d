package transform

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/payload"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const payloadDir = "../testdata/payloads"

func goldenContext() Context {
	return Context{RunID: "run-golden", LoginID: "login-golden", SyncedAt: time.Date(2025, 2, 1, 6, 30, 0, 0, time.UTC),
		LastRefresh: time.Date(2025, 1, 31, 17, 40, 54, 569261000, time.UTC)}
}

// bankingPrefix names the fixtures that are GetAccountsDetail payloads;
// the others are /Investments ones.
const bankingPrefix = "banking_"

// corpus returns the /Investments fixtures by name.
func corpus(t testing.TB) map[string][]byte { return fixtures(t, false) }

// bankingCorpus returns the GetAccountsDetail fixtures by name.
func bankingCorpus(t testing.TB) map[string][]byte { return fixtures(t, true) }

func fixtures(t testing.TB, banking bool) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(payloadDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", payloadDir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if strings.HasPrefix(name, bankingPrefix) != banking {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	if len(out) == 0 {
		t.Fatalf("no fixtures in %s (banking %v)", payloadDir, banking)
	}
	return out
}

// TestGolden transforms every fixture and compares the rows with
// testdata/golden/<fixture>.golden (refresh with go test ./transform -update).
func TestGolden(t *testing.T) {
	for name, body := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			c := goldenContext()
			b, s, err := FromJSON(body, c)
			if err != nil {
				t.Fatalf("FromJSON: %v", err)
			}
			if err := checkBatch(b, c); err != nil {
				t.Fatalf("invariant: %v", err)
			}
			compareGolden(t, name, render(b, s))
		})
	}
}

// compareGolden compares got with testdata/golden/<name>.golden, or
// rewrites the file with -update.
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("../testdata/golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./transform -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("rows differ from %s (run go test ./transform -update and review the diff):\n%s", path, got)
	}
}

// TestInvalidPayloads: a body that is not JSON, or not an investments
// payload, rejects the login with a typed error that echoes no content.
func TestInvalidPayloads(t *testing.T) {
	files, _ := filepath.Glob("../testdata/invalid/*.json")
	if len(files) == 0 {
		t.Fatal("no invalid fixtures")
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = FromJSON(body, goldenContext())
		if !errors.Is(err, payload.ErrSyntax) && !errors.Is(err, payload.ErrShape) {
			t.Errorf("%s: error %v, want ErrSyntax or ErrShape", f, err)
			continue
		}
		for _, secret := range []string{"12345678", "FlinksCapital", "twelve"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error %q echoes the payload", f, err)
			}
		}
	}
}
