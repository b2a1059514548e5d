package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/syncer/syncer/schema"
)

// render prints a batch as stable, reviewable JSON: tables in schema order,
// rows as column→value objects, decimals as their exact text.
func render(b schema.Batch, s Stats) []byte {
	var out bytes.Buffer
	fmt.Fprintf(&out, "{\n  \"stats\": %s", mustJSON(s))
	if _, banking := b.Rows[schema.BankAccounts.Name]; banking {
		for _, t := range []*schema.Table{schema.BankAccounts, schema.BankBalances, schema.BankTransactions} {
			fmt.Fprintf(&out, ",\n  \"scopes %s\": %s", t.Name, mustJSON(cells(b.Scopes[t.Name])))
		}
	} else {
		fmt.Fprintf(&out, ",\n  \"scopes\": %s", mustJSON(cells(b.Scopes[schema.Positions.Name])))
		for _, t := range []*schema.Table{schema.Accounts, schema.Transactions} {
			fmt.Fprintf(&out, ",\n  \"scopes %s\": %s", t.Name, mustJSON(cells(b.Scopes[t.Name])))
		}
	}
	for _, t := range schema.Tables {
		rows, ok := b.Rows[t.Name]
		if !ok {
			continue
		}
		fmt.Fprintf(&out, ",\n  %q: [", t.Name)
		for i, r := range rows {
			if i > 0 {
				out.WriteByte(',')
			}
			out.WriteString("\n    {")
			for j, c := range t.Columns {
				if j > 0 {
					out.WriteString(", ")
				}
				fmt.Fprintf(&out, "%q: %s", c.Name, mustJSON(cell(r[j])))
			}
			out.WriteByte('}')
		}
		out.WriteString("\n  ]")
	}
	out.WriteString("\n}\n")
	return out.Bytes()
}

func cells(rows []schema.Row) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		for _, v := range r {
			out[i] = append(out[i], cell(v))
		}
	}
	return out
}

func cell(v any) any {
	switch x := v.(type) {
	case schema.Decimal:
		return "dec:" + x.String()
	case time.Time:
		if x.Equal(schema.DateOf(x)) {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	}
	return v
}

func mustJSON(v any) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		panic(err)
	}
	return string(bytes.TrimSpace(b.Bytes()))
}
