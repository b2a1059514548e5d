package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/syncer/syncer/schema"
)

// migrate brings the warehouse to schema.Version(): it runs
// MigrationSQL from the recorded version, in one transaction, when the
// recorded version is older or a table or view is missing. A warehouse of a
// newer version is refused: this build could not fill its new columns.
func (d *Sink) migrate(ctx context.Context) error {
	from, err := storedVersion(ctx, d.conn)
	if err != nil {
		return fmt.Errorf("warehouse %s: reading its schema version: %w", d.path, err)
	}
	to := schema.Version()
	if from > to {
		return fmt.Errorf("warehouse %s has schema version %d, newer than this syncer's %d: use a newer syncer", d.path, from, to)
	}
	missing, err := missingObjects(ctx, d.conn)
	if err != nil {
		return fmt.Errorf("warehouse %s: reading its catalog: %w", d.path, err)
	}
	if from == to && missing == 0 {
		return nil
	}
	tx, err := d.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stmt := range MigrationSQL(from) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("warehouse %s: migrating from schema version %d: %w", d.path, from, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("warehouse %s: migrating from schema version %d: %w", d.path, from, err)
	}
	if from == 0 {
		d.logger.Info("created warehouse", "path", d.path, "schema_version", to)
	} else {
		d.logger.Info("migrated warehouse", "path", d.path, "from_version", from, "to_version", to)
	}
	return nil
}

// storedVersion returns the warehouse's recorded schema version, 0 if it
// has none (a new, empty database).
func storedVersion(ctx context.Context, conn *sql.Conn) (int, error) {
	var n int
	err := conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?`, VersionTable).Scan(&n)
	if err != nil || n == 0 {
		return 0, err
	}
	var v sql.NullInt64
	if err := conn.QueryRowContext(ctx, CurrentVersionSQL).Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

// missingObjects counts the tables and views of the schema the warehouse lacks.
func missingObjects(ctx context.Context, conn *sql.Conn) (int, error) {
	have, err := nameSet(ctx, conn, `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'
		UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal`)
	if err != nil {
		return 0, err
	}
	missing := 0
	for _, t := range schema.Tables {
		if !have[t.Name] {
			missing++
		}
	}
	for _, v := range Views {
		if !have[v.Name] {
			missing++
		}
	}
	return missing, nil
}
