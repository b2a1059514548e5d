package duckdb

import (
	"fmt"
	"strings"

	"github.com/syncer/syncer/schema"
)

// The ParquetEngine's part of the Latest merge (see latest.go).

const (
	roundsTable     = "rounds"
	createRoundsSQL = "CREATE OR REPLACE TABLE " + roundsTable + " (_b INTEGER, _r INTEGER)"
)

// latestSelectSQL is the query of the rows of the touched files of a Latest
// table once the round whose number round (an SQL expression) gives is
// merged into cur: the round's sightings (its last row per key) over the
// stored rows (those latestRewrites selects; the others as they are), and
// the stored rows it does not sight, marked gone where a scope of the round
// covers them.
func latestSelectSQL(t *schema.Table, round string) string {
	inRound := fmt.Sprintf("_b IN (SELECT _b FROM %s WHERE _r = %s)", roundsTable, round)
	stage := fmt.Sprintf("(SELECT * FROM %s WHERE %s QUALIFY row_number() OVER (PARTITION BY %s ORDER BY _s DESC) = 1)",
		stageTable, inRound, idents(t.Key, ""))
	stored := "o." + QuoteIdent(t.Key[0]) + " IS NOT NULL"
	rewrites := latestRewrites(t, "o", "n")
	var sighted, kept []string
	for _, c := range t.Columns {
		q := QuoteIdent(c.Name)
		switch v := latestValue(t, c, "o", "n", stored); {
		case isKey(t, c.Name):
			sighted = append(sighted, "n."+q)
		case rewrites == "true":
			sighted = append(sighted, v+" AS "+q)
		default: // a stored row the sighting does not rewrite stays as it is
			sighted = append(sighted, fmt.Sprintf("CASE WHEN %s AND NOT %s THEN o.%s ELSE %s END AS %s", stored, rewrites, q, v, q))
		}
		if c.Name == t.Marks.Gone {
			kept = append(kept, fmt.Sprintf("coalesce(o.%s, g._at) AS %s", q, q))
		} else {
			kept = append(kept, "o."+q)
		}
	}
	gone := "(SELECT NULL AS _at WHERE false) AS g ON true"
	if t.Marks.Gone != "" {
		scope := fmt.Sprintf("(SELECT * FROM %s WHERE %s)", scopeTable, inRound)
		gone = fmt.Sprintf("(%s) AS g ON %s", latestGoneSQL(t, curTable, stage, scope), match(t.Key, "g", "o"))
	}
	return fmt.Sprintf(`SELECT %[1]s, n._pid FROM %[2]s AS n LEFT JOIN %[3]s AS o ON %[4]s
UNION ALL
SELECT %[5]s, o._pid FROM %[3]s AS o LEFT JOIN %[6]s WHERE NOT EXISTS (SELECT 1 FROM %[2]s AS n WHERE %[7]s)`,
		strings.Join(sighted, ", "), stage, curTable, match(t.Key, "o", "n"),
		strings.Join(kept, ", "), gone, match(t.Key, "n", "o"))
}
