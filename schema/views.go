package schema

import "fmt"

// View is an analyst view over the tables, defined in every warehouse by the
// migrations and documented in the data dictionary.
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
		Doc: "Each account's current holdings: the positions of its login's most recent snapshot date. " +
			"An account that holds nothing on that date has no rows, rather than showing an older snapshot; " +
			"nor has an account closed since (accounts.closed_at set by a later sync), whatever the snapshot says.",
		SQL: `SELECT p.*
FROM (SELECT * FROM positions QUALIFY as_of_date = max(as_of_date) OVER (PARTITION BY login_id)) AS p
WHERE NOT EXISTS (SELECT 1 FROM accounts AS a
	WHERE a.login_id = p.login_id AND a.account_id = p.account_id AND a.closed_at IS NOT NULL)`,
		Columns: []ViewColumn{{"*", "The columns of positions."}},
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

// Views lists the analyst views, in the order the data dictionary shows them.
var Views = []*View{LatestPositions, PortfolioValueDaily}
