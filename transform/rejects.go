package transform

import (
	"slices"
	"strings"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

// rejectCols is the order in which rejects.add gives the rejected_records
// columns; rejectPath and rejectReason are the positions of two of them.
var (
	rejectCols   = schema.RejectedRecords.Layout("run_id", "login_id", "path", "table_name", "reason", "fragment")
	rejectPath   = schema.RejectedRecords.MustIndex("path")
	rejectReason = schema.RejectedRecords.MustIndex("reason")
)

// rejects collects rejected_records rows, one per JSON path (the table's key
// within a login and run): a second reason for the same path is appended to
// the first.
type rejects struct {
	runID, loginID any
	rows           []schema.Row
	byPath         map[string]int
	// tableOf names the table of a problem's relative path (nil:
	// tableOfPath, the investments payload's).
	tableOf func(rel, table string) string
}

// add quarantines the fragment at path. table may be "" (NULL); reason must
// never contain a payload value; fragment is nil or a masked JSON string.
func (r *rejects) add(path, table, reason string, fragment any) {
	if i, ok := r.byPath[path]; ok {
		row := r.rows[i]
		if !strings.Contains(row[rejectReason].(string), reason) {
			row[rejectReason] = row[rejectReason].(string) + "; " + reason
		}
		return
	}
	var tbl any
	if table != "" {
		tbl = table
	}
	r.byPath[path] = len(r.rows)
	r.rows = append(r.rows, rejectCols.Row(r.runID, r.loginID, path, tbl, reason, fragment))
}

// problems quarantines what the decoder recorded on the object at base.
// table is used unless the problem's path names a child array or Security.
func (r *rejects) problems(base, table string, ps []payload.Problem) {
	tableOf := r.tableOf
	if tableOf == nil {
		tableOf = tableOfPath
	}
	for _, p := range ps {
		r.add(join(base, p.Path), tableOf(p.Path, table), p.Reason, nil)
	}
}

func join(base, rel string) string {
	if strings.HasPrefix(rel, "[") {
		return base + rel
	}
	return base + "." + rel
}

func tableOfPath(rel, table string) string {
	switch {
	case strings.HasPrefix(rel, "Positions"):
		return schema.Positions.Name
	case strings.HasPrefix(rel, "Transactions"):
		return schema.Transactions.Name
	case strings.HasPrefix(rel, "Investments"), strings.HasPrefix(rel, "Accounts"):
		return schema.Accounts.Name
	case strings.HasPrefix(rel, "Security"):
		return schema.Securities.Name
	}
	return table
}

func (r *rejects) sorted() []schema.Row {
	slices.SortFunc(r.rows, func(a, b schema.Row) int { return strings.Compare(a[rejectPath].(string), b[rejectPath].(string)) })
	return r.rows
}

// fieldErr is one field of a fragment that could not be read.
type fieldErr struct{ path, reason string }
