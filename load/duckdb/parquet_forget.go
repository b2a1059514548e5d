package duckdb

import (
	"context"
	"fmt"

	"github.com/syncer/syncer/schema"
)

// CountLogin returns how many of the current rows (those ReadFiles points
// at) name loginID.
func (e *ParquetEngine) CountLogin(ctx context.Context, loginID string) (int64, error) {
	var n int64
	err := e.conn.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE login_id = ?", curTable), loginID).Scan(&n)
	return n, err
}

// WriteWithout writes the current rows (those ReadFiles points at) but
// loginID's, as Write writes a commit's: one file per touched file at
// dir/_pid=N/data_0.parquet, sorted by key; a file none of whose rows
// remain is not written.
func (e *ParquetEngine) WriteWithout(ctx context.Context, t *schema.Table, loginID, dir string) error {
	kept := fmt.Sprintf("SELECT %s, _pid FROM %s WHERE login_id <> %s", idents(t.ColumnNames(), ""), curTable, QuoteLiteral(loginID))
	_, err := e.exec(ctx, fmt.Sprintf("COPY (%s ORDER BY _pid, %s) TO %s (FORMAT parquet, PARTITION_BY (_pid), COMPRESSION zstd)",
		storedSQL(t, kept), idents(t.Key, ""), QuoteLiteral(dir)))
	return err
}
