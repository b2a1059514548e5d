package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// accountNumbers returns the account numbers (payload AccountId) the
// sandbox sends for logins.
func accountNumbers(t *testing.T, seed int64, logins []string) []string {
	t.Helper()
	var numbers []string
	for _, id := range logins {
		var body any
		if err := json.Unmarshal(flinkstest.Payload(seed, id, proofAsOf), &body); err != nil {
			t.Fatal(err)
		}
		collect(body, "AccountId", &numbers)
	}
	slices.Sort(numbers)
	return slices.Compact(numbers)
}

// collect appends every string value of key found anywhere in v.
func collect(v any, key string, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == key && s != "" {
				*out = append(*out, s)
			}
			collect(x, key, out)
		}
	case []any:
		for _, x := range v {
			collect(x, key, out)
		}
	}
}

// cellsContaining counts the cells of every table of the warehouse whose
// text contains one of needles.
func cellsContaining(t *testing.T, dir string, needles []string) int {
	t.Helper()
	safe := regexp.MustCompile(`^[0-9A-Za-z-]+$`)
	var values []string
	for _, n := range needles {
		if !safe.MatchString(n) {
			t.Fatalf("unexpected characters in a sandbox account number")
		}
		values = append(values, "('"+n+"')")
	}
	db := openWarehouseRO(t, filepath.Join(dir, "w.duckdb"))
	defer db.Close()
	total := 0
	for _, table := range schema.Tables {
		cells := make([]string, len(table.Columns))
		for i, c := range table.Columns {
			cells[i] = fmt.Sprintf("coalesce(CAST(%s AS VARCHAR), '')", duckdb.QuoteIdent(c.Name))
		}
		total += queryInt(t, db, fmt.Sprintf(`SELECT count(*) FROM %s, (VALUES %s) AS needle(n) WHERE contains(concat_ws(chr(31), %s), n)`,
			duckdb.QuoteIdent(table.Name), strings.Join(values, ", "), strings.Join(cells, ", ")))
	}
	return total
}

// TestProofAccountNumbersMasked syncs logins (one with malformed fragments,
// which land in rejected_records) and checks that no cell of any table
// holds a full account number, while with --keep-account-numbers they are
// there (so the search can find them). The JSON log (a throttled login
// makes it name one) names logins only by a 12-hex-digit hash.
func TestProofAccountNumbersMasked(t *testing.T) {
	srv := flinkstest.New(flinkstest.Config{Seed: 20, AsOf: proofAsOf})
	t.Cleanup(srv.Close)
	logins := append(flinkstest.DemoLogins(20, 15), flinkstest.FaultLogin(flinkstest.FaultMalformed, 1),
		flinkstest.FaultLogin(flinkstest.FaultRetryLater, 1), flinkstest.TransientFaultLogin(flinkstest.FaultTooManyRequests, 2, 1))
	numbers := accountNumbers(t, 20, logins)
	if len(numbers) < 10 {
		t.Fatalf("only %d account numbers to look for", len(numbers))
	}
	for _, keep := range []bool{false, true} {
		dir := t.TempDir()
		args := append([]string{"sync", "--logins", writeLogins(t, dir, logins)}, fastFlags(srv, filepath.Join(dir, "w.duckdb"))...)
		if keep {
			args = append(args, "--keep-account-numbers")
		}
		r := syncer(t, dir, nil, args...)
		if r.code != exitPartial {
			t.Fatalf("want exit 3 (one login fails)\n%s", r)
		}
		found := cellsContaining(t, dir, numbers)
		switch {
		case !keep && found != 0:
			t.Errorf("%d cells hold a full account number", found)
		case keep && found == 0:
			t.Error("--keep-account-numbers: no full account number found: the search is blind")
		}
		for _, n := range numbers {
			if strings.Contains(r.stdout+r.stderr, n) {
				t.Errorf("an account number appears in the output")
			}
		}
		if !keep {
			checkLoginHashes(t, r.stderr, logins)
		}
	}
}

// checkLoginHashes checks that every "login" attribute of the JSON log is
// a short hash, never a LoginId or a piece of one.
func checkLoginHashes(t *testing.T, log string, logins []string) {
	t.Helper()
	hash := regexp.MustCompile(`^[0-9a-f]{12}$`)
	seen := 0
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		v, ok := m["login"].(string)
		if !ok {
			continue
		}
		seen++
		if !hash.MatchString(v) {
			t.Errorf("log line names a login as %q, not a 12-digit hash", v)
		}
		for _, id := range logins {
			if strings.Contains(strings.ReplaceAll(id, "-", ""), v) {
				t.Errorf("a login's log hash is a piece of its LoginId")
			}
		}
	}
	if seen == 0 {
		t.Error("no log line names a login: nothing was checked")
	}
}

// TestProofTLSVerified serves the sandbox over TLS with a certificate no
// system trusts: the sync fails naming the certificate, exits 1 and
// commits no data; and no flag that could turn verification off exists
// unless its name says insecure.
func TestProofTLSVerified(t *testing.T) {
	srv := httptest.NewUnstartedServer(flinkstest.NewHandler(flinkstest.Config{Seed: 21, AsOf: proofAsOf}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "w.duckdb")
	r := syncer(t, dir, nil, "sync", "--db", db, "--base-url", srv.URL, "--login", flinkstest.DemoLogins(21, 1)[0],
		"--max-attempts", "1", "--log-format", "json")
	if r.code != exitFailed || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("a sandbox with an untrusted certificate: want exit 1 naming the certificate\n%s", r)
	}
	w := openWarehouseRO(t, db)
	if n := queryInt(t, w, "SELECT count(*) FROM accounts"); n != 0 {
		t.Errorf("%d accounts committed from an unverified server", n)
	}
	for _, cmd := range []string{"sync", "backfill", "retry", "schedule", "sandbox"} {
		help := syncer(t, dir, nil, cmd, "--help").stdout
		for _, line := range strings.Split(help, "\n") {
			l := strings.ToLower(line)
			if strings.HasPrefix(strings.TrimSpace(l), "-") && (strings.Contains(l, "tls") || strings.Contains(l, "verif") ||
				strings.Contains(l, "cert")) && !strings.Contains(l, "insecure") {
				t.Errorf("%s: a flag touches TLS without saying insecure: %s", cmd, strings.TrimSpace(line))
			}
		}
	}
}
