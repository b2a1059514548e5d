package transform

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syncer/syncer/schema"
)

// checkBatch returns the first broken invariant of a batch, or nil: rows
// match their table's columns and kinds, keys are unique, positions and
// transactions reference an account row, every non-NULL security_key has a
// securities row, every decimal fits schema.Exact, the positions scope is
// exactly the login's snapshot date and every position is dated by it, the
// batch carries the login's logins row, and unless account numbers are kept,
// no description holds a run of seven digits or more.
func checkBatch(b schema.Batch, c Context) error {
	if err := checkCommon(b, c); err != nil {
		return err
	}
	accounts := map[string]bool{}
	for _, r := range b.Rows[schema.Accounts.Name] {
		accounts[r[1].(string)] = true
	}
	secs := map[string]bool{}
	for _, r := range b.Rows[schema.Securities.Name] {
		secs[r[0].(string)] = true
	}
	snapshot := c.SnapshotDate()
	if sc := b.Scopes[schema.Positions.Name]; len(sc) != 1 || sc[0][0] != c.LoginID || !sc[0][1].(time.Time).Equal(snapshot) {
		return fmt.Errorf("positions scope %v, want exactly [[%s %s]]", sc, c.LoginID, snapshot.Format(time.DateOnly))
	}
	if rows := b.Rows[schema.Logins.Name]; len(rows) != 1 || rows[0][0] != c.LoginID {
		return fmt.Errorf("logins rows %v, want the login's one", rows)
	}
	for _, name := range []string{schema.Positions.Name, schema.Transactions.Name} {
		t := schema.Lookup(name)
		for _, r := range b.Rows[name] {
			if !accounts[r[1].(string)] {
				return fmt.Errorf("%s row references a missing account", name)
			}
			if k := r[t.Index("security_key")]; k != nil && !secs[k.(string)] {
				return fmt.Errorf("%s row references a missing security %q", name, k)
			}
			if name == schema.Positions.Name && !r[3].(time.Time).Equal(snapshot) {
				return fmt.Errorf("position dated outside the snapshot")
			}
		}
	}
	if err := checkLatestScopes(b, c, schema.Accounts, schema.Transactions); err != nil {
		return err
	}
	return checkDescriptions(b, c, schema.Transactions)
}

// checkCommon checks what holds of every batch: rows match their table's
// columns and kinds, keys are unique, rows are the login's, a batch with
// rows in a LoginData table carries the login's logins row with
// last_refresh_at set (what lets a sink insert a login's first rows
// without merging: schema.Table.LoginData), and every rejected_records
// reason is made of the transform's own phrases.
func checkCommon(b schema.Batch, c Context) error {
	refreshed := false
	for _, r := range b.Rows[schema.Logins.Name] {
		refreshed = refreshed || r[0] == c.LoginID && r[schema.Logins.Index("last_refresh_at")] != nil
	}
	keys := map[string]map[string]bool{}
	for name, rows := range b.Rows {
		t := schema.Lookup(name)
		if t == nil {
			return fmt.Errorf("unknown table %q", name)
		}
		keys[name] = map[string]bool{}
		if t.LoginData && len(rows) > 0 && !refreshed {
			return fmt.Errorf("%s rows without the login's logins row with last_refresh_at", name)
		}
		li := t.Index("login_id")
		for i, row := range rows {
			if err := checkRow(t, row); err != nil {
				return fmt.Errorf("%s row %d: %w", name, i, err)
			}
			k := keyOf(t, row)
			if keys[name][k] {
				return fmt.Errorf("%s: duplicate key %s", name, k)
			}
			keys[name][k] = true
			if li >= 0 && name != schema.Logins.Name && row[li] != c.LoginID {
				return fmt.Errorf("%s row of another login", name)
			}
		}
	}
	for _, r := range b.Rows[schema.RejectedRecords.Name] {
		if err := checkReason(r[4].(string)); err != nil {
			return err
		}
	}
	return nil
}

// checkDescriptions fails, unless account numbers are kept, when a
// description of table t keeps a run of seven digits or more.
func checkDescriptions(b schema.Batch, c Context, t *schema.Table) error {
	if c.KeepAccountNumbers {
		return nil
	}
	for _, r := range b.Rows[t.Name] {
		if d, ok := r[t.Index("description")].(string); ok {
			if err := checkDescription(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkLatestScopes checks the scopes of the Latest tables accts and tx:
// the accounts scope, if any, is the login's, at the sync's instant; each
// transactions scope names a loaded account once, at that instant, and its
// date range is exactly the min..max date of the account's loaded
// transactions.
func checkLatestScopes(b schema.Batch, c Context, accts, tx *schema.Table) error {
	synced := c.SyncedAt.UTC()
	switch s := b.Scopes[accts.Name]; {
	case len(s) > 1:
		return fmt.Errorf("%d %s scopes", len(s), accts.Name)
	case len(s) == 1 && (len(s[0]) != 2 || s[0][0] != c.LoginID || !s[0][1].(time.Time).Equal(synced)):
		return fmt.Errorf("%s scope %v is not the login's at the sync instant", accts.Name, s[0])
	}
	type span struct{ lo, hi time.Time }
	dates := map[string]span{}
	for _, r := range b.Rows[tx.Name] {
		d, ok := r[tx.Index("date")].(time.Time)
		if !ok {
			continue
		}
		a := r[1].(string)
		sp, seen := dates[a]
		if !seen || d.Before(sp.lo) {
			sp.lo = d
		}
		if !seen || d.After(sp.hi) {
			sp.hi = d
		}
		dates[a] = sp
	}
	seen := map[string]bool{}
	for _, s := range b.Scopes[tx.Name] {
		if len(s) != 5 || s[0] != c.LoginID || !s[4].(time.Time).Equal(synced) {
			return fmt.Errorf("transactions scope %v is not the login's at the sync instant", s)
		}
		a := s[1].(string)
		if seen[a] {
			return fmt.Errorf("two transactions scopes for one account")
		}
		seen[a] = true
		sp, ok := dates[a]
		if !ok || !sp.lo.Equal(s[2].(time.Time)) || !sp.hi.Equal(s[3].(time.Time)) {
			return fmt.Errorf("transactions scope %v is not its account's loaded date range", s)
		}
	}
	return nil
}

var (
	kinds         = `(a string|a number|an object|an array|a boolean|null|nothing|a string or number|a scalar)`
	reasonPhrases = regexp.MustCompile(`^(` + strings.Join([]string{
		`expected ` + kinds + `, got ` + kinds,
		`not a number`, `not a date \(want YYYY-MM-DD\)`, `not a date \(want YYYY-MM-DD or YYYY/MM/DD\)`, `not a timestamp`, `unreadable value`,
		`not a date: year 0000 does not exist`,
		`number longer than \d+ characters or with an exponent beyond ±\d+`,
		`does not fit DECIMAL\(38,18\): (\d+ digits after the point, more than the 18 kept|more than 20 integer digits)`,
		`loaded as NULL`, `position not loaded`, `transaction not loaded`, `ignored`,
		`account has no usable Id`, `its positions \(\d+\) and transactions \(\d+\) are not loaded`, `its transactions \(\d+\) are not loaded`,
		`credit - debit does not fit DECIMAL\(38,18\)`,
		`duplicate account Id in the payload`, `duplicate transaction Id in the account`, `the first occurrence is kept`,
		`transaction has no Id`, `security cannot be resolved: no Id, Isin, Cusip or Symbol`,
		`more lots of the same security and date are in another currency`,
		`merging this lot with another of the same security and date overflows DECIMAL\(38,18\)`,
		`payload-level members with no column`, `kept in fragment`,
		`the account reports the same security with a later AsOfDate`,
	}, "|") + `)$`)
)

var (
	// digitRun is a run of digits joined by single spaces or hyphens.
	digitRun = regexp.MustCompile(`[0-9](?:[ -]?[0-9])*`)
	isoDate  = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`)
)

// checkDescription fails when a masked description still holds a run of
// seven digits or more that is not a YYYY-MM-DD date.
func checkDescription(d string) error {
	for _, run := range digitRun.FindAllString(d, -1) {
		digits := len(strings.NewReplacer(" ", "", "-", "").Replace(run))
		if digits >= 7 && !isoDate.MatchString(run) {
			return fmt.Errorf("description keeps a run of %d digits", digits)
		}
	}
	return nil
}

// checkReason fails unless a rejected_records reason is made only of the
// transform's own phrases: a payload value can never hide in it.
func checkReason(reason string) error {
	for _, part := range strings.Split(reason, "; ") {
		if !reasonPhrases.MatchString(part) {
			return fmt.Errorf("reason part %q is not a known phrase", part)
		}
	}
	return nil
}

func keyOf(t *schema.Table, row schema.Row) string {
	k := ""
	for _, c := range t.Key {
		k += fmt.Sprintf("%v|", row[t.Index(c)])
	}
	return k
}

// checkRow checks a row against its table: width, NULLs and Go types.
func checkRow(t *schema.Table, row schema.Row) error {
	if len(row) != len(t.Columns) {
		return fmt.Errorf("%d values for %d columns", len(row), len(t.Columns))
	}
	for i, c := range t.Columns {
		v := row[i]
		if v == nil {
			if !c.Nullable {
				return fmt.Errorf("%s is NULL", c.Name)
			}
			continue
		}
		ok := false
		switch c.Type.Kind {
		case schema.KindVarchar, schema.KindJSON:
			_, ok = v.(string)
		case schema.KindDecimal:
			var d schema.Decimal
			if d, ok = v.(schema.Decimal); ok {
				if err := d.FitsIn(c.Type); err != nil {
					return fmt.Errorf("%s: %w", c.Name, err)
				}
			}
		case schema.KindDate:
			var d time.Time
			if d, ok = v.(time.Time); ok && (d.Location() != time.UTC || !d.Equal(schema.DateOf(d))) {
				return fmt.Errorf("%s is not midnight UTC", c.Name)
			}
		case schema.KindTimestamp:
			var d time.Time
			if d, ok = v.(time.Time); ok && d.Location() != time.UTC {
				return fmt.Errorf("%s is not UTC", c.Name)
			}
		case schema.KindBoolean:
			_, ok = v.(bool)
		case schema.KindBigInt:
			_, ok = v.(int64)
		}
		if !ok {
			return fmt.Errorf("%s holds %T", c.Name, v)
		}
	}
	return nil
}

func TestCheckReasonRejectsValues(t *testing.T) {
	if checkReason("not a number; position not loaded") != nil {
		t.Error("a known reason was refused")
	}
	for _, bad := range []string{"not a number: 12345678", "expected a string, got 42", "abc; position not loaded"} {
		if checkReason(bad) == nil {
			t.Errorf("reason %q accepted", bad)
		}
	}
}
