package transform

import (
	"testing"
	"time"

	"github.com/syncer/syncer/schema"
)

// lagging is one account holding XIC priced on Jan 31 and a fund priced a
// day behind, on Jan 30; its AccountValue counts both.
const lagging = `{"Investments":[{"Accounts":[{"Id":"acct","Currency":"cad","Cash":10,"AccountValue":160,"Positions":[
	{"Quantity":1,"MarketValue":100,"Currency":"cad","AsOfDate":"2025-01-31","Security":{"Id":"sec-xic"}},
	{"Quantity":1,"MarketValue":50,"Currency":"cad","AsOfDate":"2025-01-30","Security":{"Id":"sec-fund"}},
	{"Quantity":1,"MarketValue":0,"Currency":"cad","Security":{"Id":"sec-undated"}}]}]}]}`

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestSnapshotIsOneDate: every position of a sync is dated by the snapshot
// date (LastRefresh's UTC date, else the sync's), its own AsOfDate goes to
// price_date, and the batch replaces exactly that one (login, date): never
// the positions' own dates, never the wall-clock date.
func TestSnapshotIsOneDate(t *testing.T) {
	synced := time.Date(2025, 2, 2, 6, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name        string
		lastRefresh time.Time
		want        time.Time
	}{
		{"no LastRefresh: the sync date", time.Time{}, day("2025-02-02")},
		{"LastRefresh's date", time.Date(2025, 1, 31, 17, 40, 54, 569261000, time.UTC), day("2025-01-31")},
		{"LastRefresh's UTC date", time.Date(2025, 1, 31, 22, 0, 0, 0, time.FixedZone("EST", -5*3600)), day("2025-02-01")},
		{"stale LastRefresh", time.Date(2025, 1, 10, 3, 0, 0, 0, time.UTC), day("2025-01-10")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Context{RunID: "r", LoginID: "L", SyncedAt: synced, LastRefresh: tc.lastRefresh}
			b, _ := mustFromJSON(t, []byte(lagging), c)
			if err := checkBatch(b, c); err != nil {
				t.Fatal(err)
			}
			scopes := b.Scopes[schema.Positions.Name]
			if len(scopes) != 1 || scopes[0][0] != "L" || !scopes[0][1].(time.Time).Equal(tc.want) {
				t.Errorf("scopes %v, want exactly [[L %s]]", cells(scopes), tc.want.Format(time.DateOnly))
			}
			prices := map[string]any{}
			for _, r := range b.Rows[schema.Positions.Name] {
				if d := r[schema.Positions.Index("as_of_date")].(time.Time); !d.Equal(tc.want) {
					t.Errorf("%s: as_of_date %s, want %s", r[2], d.Format(time.DateOnly), tc.want.Format(time.DateOnly))
				}
				prices[r[2].(string)] = cell(r[schema.Positions.Index("price_date")])
			}
			want := map[string]any{"id:sec-xic": "2025-01-31", "id:sec-fund": "2025-01-30", "id:sec-undated": nil}
			for k, v := range want {
				if prices[k] != v {
					t.Errorf("%s: price_date %v, want %v", k, prices[k], v)
				}
			}
			refreshed := tc.lastRefresh
			if refreshed.IsZero() {
				refreshed = synced
			}
			login := b.Rows[schema.Logins.Name][0]
			if got := login[schema.Logins.Index("last_refresh_at")]; got != refreshed.UTC() {
				t.Errorf("logins.last_refresh_at %v, want %v", got, refreshed.UTC())
			}
			if got := login[schema.Logins.Index("registered_at")]; got != synced {
				t.Errorf("logins.registered_at %v, want the sync time %v", got, synced)
			}
		})
	}
}

// TestLaggingPositionReconciles: the account's value check adds every
// position of the snapshot, the fund priced a day behind included.
func TestLaggingPositionReconciles(t *testing.T) {
	c := goldenContext()
	b, s := mustFromJSON(t, []byte(lagging), c)
	if s.QualityFailed != 0 {
		t.Errorf("value_reconciles failed: %v", cells(b.Rows[schema.DataQuality.Name]))
	}
}

// TestSameSecurityOnTwoDates: one account reporting a security with two
// AsOfDates loads the latest one (lots of that date merged) and quarantines
// the older entry; the quantities are never added across dates.
func TestSameSecurityOnTwoDates(t *testing.T) {
	body := `{"Investments":[{"Accounts":[
	{"Id":"a","Positions":[
		{"Quantity":7,"Currency":"cad","AsOfDate":"2025-01-30","Security":{"Id":"sec-xic"}},
		{"Quantity":10,"Currency":"cad","AsOfDate":"2025-01-31","Security":{"Id":"sec-xic"}},
		{"Quantity":3,"Currency":"cad","Security":{"Id":"sec-xic"}}]},
	{"Id":"b","Positions":[{"Quantity":7,"Currency":"cad","AsOfDate":"2025-01-30","Security":{"Id":"sec-xic"}}]}]}]}`
	c := goldenContext()
	b, _ := mustFromJSON(t, []byte(body), c)
	if err := checkBatch(b, c); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range b.Rows[schema.Positions.Name] {
		got[r[1].(string)] = r[4].(schema.Decimal).String() + "@" + cell(r[schema.Positions.Index("price_date")]).(string)
	}
	if want := map[string]string{"a": "10@2025-01-31", "b": "7@2025-01-30"}; len(got) != 2 || got["a"] != want["a"] || got["b"] != want["b"] {
		t.Errorf("positions %v, want %v", got, want)
	}
	rej := b.Rows[schema.RejectedRecords.Name]
	if len(rej) != 2 {
		t.Fatalf("rejected %v, want the two older entries of account a", cells(rej))
	}
	for i, path := range []string{"$.Investments[0].Accounts[0].Positions[0]", "$.Investments[0].Accounts[0].Positions[2]"} {
		if rej[i][2] != path {
			t.Errorf("rejected path %v, want %s", rej[i][2], path)
		}
	}
}
