package duckdb

import "fmt"

// View is an analyst view over the tables, in DuckDB SQL: the migrations
// define it in every DuckDB warehouse, a Parquet dataset's catalog over its
// files (ParquetViews), and the data dictionary documents it.
type View struct {
	Name    string
	Doc     string
	SQL     string // the SELECT the view stands for
	Columns []ViewColumn
}

// ViewColumn documents one column of a view.
type ViewColumn struct {
	Name string
	Doc  string
}

// CreateViewSQL returns the statement that (re)defines v.
func CreateViewSQL(v *View) string {
	return fmt.Sprintf("CREATE OR REPLACE VIEW %s AS\n%s", QuoteIdent(v.Name), v.SQL)
}

// The analyst views.
var (
	LatestPositions = &View{
		Name: "latest_positions",
		Doc: "Each account's current holdings: the positions of its login's most recent snapshot date, security_key resolved as in positions_resolved. " +
			"An account that holds nothing on that date has no rows, rather than showing an older snapshot; " +
			"nor has an account closed since (accounts.closed_at set by a later sync), whatever the snapshot says.",
		SQL: `SELECT p.*
FROM (SELECT * FROM positions_resolved QUALIFY as_of_date = max(as_of_date) OVER (PARTITION BY login_id)) AS p
WHERE NOT EXISTS (SELECT 1 FROM accounts AS a
	WHERE a.login_id = p.login_id AND a.account_id = p.account_id AND a.closed_at IS NOT NULL)`,
		Columns: []ViewColumn{{"*", "The columns of positions_resolved: those of positions, security_key resolved, and loaded_security_key."}},
	}

	PortfolioValueDaily = &View{
		Name: "portfolio_value_daily",
		Doc:  "Market value per login, account and snapshot date, one row per currency (values in different currencies are never added together).",
		SQL: `SELECT
	login_id,
	account_id,
	as_of_date,
	currency,
	sum(market_value) AS market_value,
	sum(book_value) AS book_value,
	count(*) AS positions
FROM positions
GROUP BY login_id, account_id, as_of_date, currency`,
		Columns: []ViewColumn{
			{"login_id", "Flinks LoginId."},
			{"account_id", "Account (accounts.account_id)."},
			{"as_of_date", "Snapshot date."},
			{"currency", "Currency of the values (NULL when positions did not say)."},
			{"market_value", "Exact sum of the positions' market_value in that currency."},
			{"book_value", "Exact sum of the positions' book_value in that currency."},
			{"positions", "Number of positions summed."},
		},
	}
)

// Views lists the analyst views, in the order the data dictionary shows them
// and the migrations define them: a view after those it reads.
var Views = []*View{ResolvedSecurityKeys, PositionsResolved, SecuritiesResolved, LatestPositions, PortfolioValueDaily,
	BankBalancesLatest, CashFlowMonthly}

// The views that resolve security keys across logins through
// security_aliases (the rules are in transform/doc.go).
var (
	ResolvedSecurityKeys = &View{
		Name: "resolved_security_keys",
		Doc: "Security keys that resolve to another key across the warehouse: rows loaded under alias_key belong to the security keyed security_key. " +
			"From a key, the aliases to stronger keys (id: before isin: before cusip: before symbol:, then by text) are followed, stopping at a key that is ambiguous " +
			"(it has an alias to a key no stronger than itself) or has no alias; a key resolves when every walk stops at the same key, which has a securities row, " +
			"and no two keys of one strong kind (two ISINs, two CUSIPs) would resolve to it. Keys absent here resolve to themselves.",
		SQL: `WITH RECURSIVE
ranked AS (
	SELECT alias_key, security_key,
		(CASE WHEN security_key LIKE 'id:%' THEN '0' WHEN security_key LIKE 'isin:%' THEN '1' WHEN security_key LIKE 'cusip:%' THEN '2' ELSE '3' END || security_key)
		< (CASE WHEN alias_key LIKE 'id:%' THEN '0' WHEN alias_key LIKE 'isin:%' THEN '1' WHEN alias_key LIKE 'cusip:%' THEN '2' ELSE '3' END || alias_key) AS stronger
	FROM security_aliases
),
links AS (
	SELECT alias_key, security_key FROM ranked
	WHERE stronger AND alias_key NOT IN (SELECT alias_key FROM ranked WHERE NOT stronger)
),
walks(alias_key, node) AS (
	SELECT alias_key, security_key FROM links
	UNION
	SELECT w.alias_key, l.security_key FROM walks AS w JOIN links AS l ON l.alias_key = w.node
),
ends AS (
	SELECT alias_key, min(node) AS security_key
	FROM walks
	WHERE node NOT IN (SELECT alias_key FROM links)
	GROUP BY alias_key
	HAVING count(DISTINCT node) = 1
),
conflicts AS (
	SELECT security_key, split_part(member, ':', 1) AS kind
	FROM (SELECT security_key, alias_key AS member FROM ends UNION SELECT security_key, security_key FROM ends)
	WHERE split_part(member, ':', 1) IN ('id', 'isin', 'cusip')
	GROUP BY security_key, kind
	HAVING count(DISTINCT member) > 1
)
SELECT e.alias_key, e.security_key
FROM ends AS e
WHERE e.security_key IN (SELECT security_key FROM securities)
	AND NOT EXISTS (
		SELECT 1
		FROM (SELECT e.alias_key AS node UNION ALL SELECT node FROM walks AS w WHERE w.alias_key = e.alias_key) AS p
		JOIN conflicts AS c ON c.security_key = e.security_key AND c.kind = split_part(p.node, ':', 1)
		WHERE p.node <> e.security_key
	)`,
		Columns: []ViewColumn{
			{"alias_key", "A key positions, transactions or securities rows were loaded under."},
			{"security_key", "The key it resolves to (securities.security_key)."},
		},
	}

	PositionsResolved = &View{
		Name: "positions_resolved",
		Doc: "positions with security_key resolved through resolved_security_keys, so that joining securities or securities_resolved on it finds the security " +
			"whatever key this login's payload gave it. Two positions of one account and date may resolve to one key when the payload named the security " +
			"two unlinked ways: both rows stay; sum them.",
		SQL: `SELECT p.* REPLACE (coalesce(r.security_key, p.security_key) AS security_key), p.security_key AS loaded_security_key
FROM positions AS p
LEFT JOIN resolved_security_keys AS r ON r.alias_key = p.security_key`,
		Columns: []ViewColumn{
			{"*", "The columns of positions, security_key resolved."},
			{"loaded_security_key", "security_key as loaded (positions.security_key)."},
		},
	}

	SecuritiesResolved = &View{
		Name: "securities_resolved",
		Doc: "One row per resolved security key (a key resolved_security_keys does not map elsewhere), each attribute taken from the first securities row " +
			"that has it among the key's own row and then its aliases' rows, strongest key first: a name known only under symbol:XIC@CAD reaches id:sec-xic.",
		SQL: `WITH members AS (
	SELECT s.*, coalesce(r.security_key, s.security_key) AS resolved,
		CASE WHEN r.security_key IS NULL THEN '0' ELSE '1' END
		|| CASE WHEN s.security_key LIKE 'id:%' THEN '0' WHEN s.security_key LIKE 'isin:%' THEN '1' WHEN s.security_key LIKE 'cusip:%' THEN '2' ELSE '3' END
		|| s.security_key AS ord
	FROM securities AS s
	LEFT JOIN resolved_security_keys AS r ON r.alias_key = s.security_key
)
SELECT
	resolved AS security_key,
	arg_min(flinks_security_id, ord) FILTER (WHERE flinks_security_id IS NOT NULL) AS flinks_security_id,
	arg_min(symbol, ord) FILTER (WHERE symbol IS NOT NULL) AS symbol,
	arg_min(isin, ord) FILTER (WHERE isin IS NOT NULL) AS isin,
	arg_min(cusip, ord) FILTER (WHERE cusip IS NOT NULL) AS cusip,
	arg_min(name, ord) FILTER (WHERE name IS NOT NULL) AS name,
	arg_min(type, ord) FILTER (WHERE type IS NOT NULL) AS type,
	arg_min(currency, ord) FILTER (WHERE currency IS NOT NULL) AS currency,
	arg_min(extra, ord) FILTER (WHERE extra IS NOT NULL) AS extra,
	count(*) AS merged_keys
FROM members
GROUP BY resolved`,
		Columns: []ViewColumn{
			{"security_key", "The resolved key (positions_resolved.security_key)."},
			{"flinks_security_id, symbol, isin, cusip, name, type, currency, extra", "As in securities, from the first of the key's rows that has the value."},
			{"merged_keys", "How many securities rows were merged: the key's own and its aliases'."},
		},
	}
)
