package transform

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/syncer/syncer/schema"
)

// shuffleArrays re-encodes a payload with its Investments, Accounts,
// Positions and Transactions arrays shuffled. Elements sharing an Id keep
// their relative order: which duplicate is "first" is the one documented
// place where order matters.
func shuffleArrays(t testing.TB, body []byte, r *rand.Rand) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if arr, ok := e.([]any); ok && r != nil && slices.Contains([]string{"Investments", "Accounts", "Positions", "Transactions"}, k) {
					stableShuffle(arr, r)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func stableShuffle(arr []any, r *rand.Rand) {
	idOf := func(e any) string {
		if m, ok := e.(map[string]any); ok {
			if id, ok := m["Id"]; ok {
				b, _ := json.Marshal(id)
				return string(b)
			}
		}
		return ""
	}
	orig := slices.Clone(arr)
	r.Shuffle(len(arr), func(i, j int) { arr[i], arr[j] = arr[j], arr[i] })
	// Put each Id's elements back in their original relative order.
	groups := map[string][]any{}
	for _, e := range orig {
		if id := idOf(e); id != "" {
			groups[id] = append(groups[id], e)
		}
	}
	for i, e := range arr {
		if id := idOf(e); id != "" {
			arr[i], groups[id] = groups[id][0], groups[id][1:]
		}
	}
}

// canonical renders a batch without what depends on array positions: the
// JSON paths of rejected records.
func canonical(b schema.Batch, s Stats) string {
	rej := b.Rows[schema.RejectedRecords.Name]
	stripped := make([]schema.Row, len(rej))
	for i, r := range rej {
		c := slices.Clone(r)
		c[2] = "$"
		stripped[i] = c
	}
	slices.SortFunc(stripped, func(x, y schema.Row) int {
		return bytes.Compare([]byte(mustJSON(cells([]schema.Row{x}))), []byte(mustJSON(cells([]schema.Row{y}))))
	})
	rows := map[string][]schema.Row{}
	for k, v := range b.Rows {
		rows[k] = v
	}
	rows[schema.RejectedRecords.Name] = stripped
	b.Rows = rows
	return string(render(b, s))
}

// TestShuffleChangesNothing: shuffling the payload's arrays changes no row.
func TestShuffleChangesNothing(t *testing.T) {
	for name, body := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			c := goldenContext()
			want := canonical(mustFromJSON(t, shuffleArrays(t, body, nil), c))
			for seed := range uint64(8) {
				shuffled := shuffleArrays(t, body, rand.New(rand.NewPCG(seed, 99)))
				if got := canonical(mustFromJSON(t, shuffled, c)); got != want {
					t.Fatalf("seed %d: rows changed with array order:\n%s\nwant:\n%s", seed, got, want)
				}
			}
		})
	}
}

func mustFromJSON(t testing.TB, body []byte, c Context) (schema.Batch, Stats) {
	t.Helper()
	b, s, err := FromJSON(body, c)
	if err != nil {
		t.Fatalf("FromJSON: %v", err)
	}
	return b, s
}

// TestKeysStableAcrossRuns: the same payload gives identical rows every time,
// and another run changes only run columns, never a key.
func TestKeysStableAcrossRuns(t *testing.T) {
	for name, body := range corpus(t) {
		c := goldenContext()
		b1, s1 := mustFromJSON(t, body, c)
		b2, s2 := mustFromJSON(t, body, c)
		if !reflect.DeepEqual(b1, b2) || s1 != s2 {
			t.Errorf("%s: two transforms of one payload differ", name)
		}
		c2 := c
		c2.RunID = "another-run"
		b3, _ := mustFromJSON(t, body, c2)
		for _, tbl := range []*schema.Table{schema.Accounts, schema.Securities, schema.Positions, schema.Transactions} {
			k1, k3 := keysOf(tbl, b1), keysOf(tbl, b3)
			if !reflect.DeepEqual(k1, k3) {
				t.Errorf("%s: %s keys changed with the run: %v vs %v", name, tbl.Name, k1, k3)
			}
		}
	}
}

func keysOf(t *schema.Table, b schema.Batch) []string {
	var out []string
	for _, r := range b.Rows[t.Name] {
		out = append(out, keyOf(t, r))
	}
	return out
}

// TestSecurityKeysAgreeAcrossLogins: in the sandbox payloads (one shared
// universe), an ISIN or Flinks Id always maps to the same security_key,
// whichever login and account names it.
func TestSecurityKeysAgreeAcrossLogins(t *testing.T) {
	byIsin, byID := map[string]string{}, map[string]string{}
	seen := 0
	for name, body := range corpus(t) {
		if !bytes.HasPrefix([]byte(name), []byte("sandbox_")) {
			continue
		}
		b, _ := mustFromJSON(t, body, goldenContext())
		for _, r := range b.Rows[schema.Securities.Name] {
			key := r[0].(string)
			if id, ok := r[1].(string); ok {
				if k, dup := byID[id]; dup && k != key {
					t.Errorf("Flinks Id %s keyed %s and %s", id, k, key)
				}
				byID[id] = key
			}
			if isin, ok := r[3].(string); ok {
				if k, dup := byIsin[isin]; dup && k != key {
					t.Errorf("ISIN %s keyed %s and %s", isin, k, key)
				}
				byIsin[isin] = key
				seen++
			}
		}
	}
	if seen == 0 {
		t.Fatal("no sandbox securities with an ISIN in the corpus")
	}
}
