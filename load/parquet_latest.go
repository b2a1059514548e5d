package load

import (
	"context"
	"fmt"
	"strings"

	ddb "github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/schema"
)

// The Parquet merge engine's part of the Latest merge (see latest.go).

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
		stageTable, inRound, identList(t.Key, ""))
	stored := "o." + ddb.QuoteIdent(t.Key[0]) + " IS NOT NULL"
	rewrites := ddb.LatestRewrites(t, "o", "n")
	var sighted, kept []string
	for _, c := range t.Columns {
		q := ddb.QuoteIdent(c.Name)
		switch v := ddb.LatestValue(t, c, "o", "n", stored); {
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
		gone = fmt.Sprintf("(%s) AS g ON %s", ddb.LatestGoneSQL(t, curTable, stage, scope), ddb.Match(t.Key, "g", "o"))
	}
	return fmt.Sprintf(`SELECT %[1]s, n._pid FROM %[2]s AS n LEFT JOIN %[3]s AS o ON %[4]s
UNION ALL
SELECT %[5]s, o._pid FROM %[3]s AS o LEFT JOIN %[6]s WHERE NOT EXISTS (SELECT 1 FROM %[2]s AS n WHERE %[7]s)`,
		strings.Join(sighted, ", "), stage, curTable, ddb.Match(t.Key, "o", "n"),
		strings.Join(kept, ", "), gone, ddb.Match(t.Key, "n", "o"))
}

// foldRounds merges every round of a Latest table's commit but the last
// into cur, one after the other, each into a scratch table that cur then
// stands for; mergeSQL merges the last. A commit of one round (one batch per
// login) does nothing here and streams from the files, as other tables do.
// The scratch tables of an earlier commit are dropped first.
func (p *Parquet) foldRounds(ctx context.Context, t *schema.Table, batches []schema.Batch) error {
	if _, err := p.exec(ctx, "DROP TABLE IF EXISTS fold_0; DROP TABLE IF EXISTS fold_1"); err != nil {
		return err
	}
	_, n := LatestRounds(t, batches)
	for round := range n - 1 {
		fold := fmt.Sprintf("fold_%d", round%2)
		stmts := []string{
			fmt.Sprintf("CREATE OR REPLACE TABLE %s AS %s", fold, latestSelectSQL(t, fmt.Sprint(round))),
			fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM %s", curTable, fold),
		}
		for _, stmt := range stmts {
			if _, err := p.exec(ctx, stmt); err != nil {
				return err
			}
		}
	}
	return nil
}
