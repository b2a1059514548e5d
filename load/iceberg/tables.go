package iceberg

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/syncer/syncer/schema"
)

// Buckets is the number of login buckets of the large login-keyed tables
// (bucket(Buckets, login_id)). The bucket is Iceberg's hash of the
// lower-cased LoginId, the same hash --shard selects logins by, so with N
// shards and N dividing Buckets each shard writes only its own partitions.
const Buckets = 16

// formatVersion is the Iceberg table format the tables are created in: 2,
// which DuckDB's iceberg extension, Trino and Spark all read.
const formatVersion = "2"

// identifier names t's Iceberg table.
func identifier(t *schema.Table) table.Identifier {
	return catalog.ToIdentifier(Namespace, t.Name)
}

// icebergSchema is t's columns as an Iceberg schema, field ids 1… in column
// order. Every field is optional: the sinks check NOT NULL themselves
// (load.Value), and a required field would refuse the nullable Arrow
// columns a merge produces.
func icebergSchema(t *schema.Table) *iceberg.Schema {
	fields := make([]iceberg.NestedField, len(t.Columns))
	for i, c := range t.Columns {
		fields[i] = iceberg.NestedField{ID: i + 1, Name: c.Name, Type: icebergType(c.Type), Doc: c.Doc}
	}
	return iceberg.NewSchema(0, fields...)
}

// icebergType is the Iceberg type of a column type: DECIMAL(38,18) stays
// decimal(38,18), an instant is timestamptz (microseconds, UTC), JSON is a
// string holding the document.
func icebergType(t schema.Type) iceberg.Type {
	switch t.Kind {
	case schema.KindDecimal:
		return iceberg.DecimalTypeOf(t.Width, t.Scale)
	case schema.KindDate:
		return iceberg.PrimitiveTypes.Date
	case schema.KindTimestamp:
		return iceberg.PrimitiveTypes.TimestampTz
	case schema.KindBoolean:
		return iceberg.PrimitiveTypes.Bool
	case schema.KindBigInt:
		return iceberg.PrimitiveTypes.Int64
	default: // VARCHAR, JSON
		return iceberg.PrimitiveTypes.String
	}
}

// partitioning is how t is partitioned: a snapshot table (as_of_date in
// its key) by its date first (analysts ask for one day's holdings and
// balances), then every login-keyed table by login bucket: a commit reads
// and replaces only its logins' buckets, and a shard's logins fall in its
// own buckets, so shards never replace each other's files. Tables without
// login_id (securities, aliases, runs) are small and unpartitioned.
func partitioning(t *schema.Table) []partitionField {
	var fields []partitionField
	if slices.Contains(t.Key, "as_of_date") {
		fields = append(fields, partitionField{"as_of_date", iceberg.IdentityTransform{}})
	}
	if t.Index("login_id") >= 0 {
		fields = append(fields, partitionField{"login_id", iceberg.BucketTransform{NumBuckets: Buckets}})
	}
	return fields
}

type partitionField struct {
	column    string
	transform iceberg.Transform
}

// partitionSpec is t's partition spec on sc.
func partitionSpec(t *schema.Table, sc *iceberg.Schema) (*iceberg.PartitionSpec, error) {
	var opts []iceberg.PartitionOption
	for _, f := range partitioning(t) {
		name := f.column
		if _, ok := f.transform.(iceberg.BucketTransform); ok {
			name = f.column + "_bucket"
		}
		opts = append(opts, iceberg.AddPartitionFieldByName(f.column, name, f.transform, sc, nil))
	}
	spec, err := iceberg.NewPartitionSpecOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: partition spec: %w", t.Name, err)
	}
	return &spec, nil
}

// ensureTables creates the tables of schema.Tables the catalog lacks, and
// adds to an existing table the columns the schema has gained since it was
// created.
func ensureTables(ctx context.Context, cat catalog.Catalog) error {
	for _, t := range schema.Tables {
		if _, err := ensureTable(ctx, cat, t); err != nil {
			return fmt.Errorf("iceberg: table %s.%s: %w", Namespace, t.Name, err)
		}
	}
	return nil
}

func ensureTable(ctx context.Context, cat catalog.Catalog, t *schema.Table) (*table.Table, error) {
	id := identifier(t)
	tbl, err := cat.LoadTable(ctx, id)
	if errors.Is(err, catalog.ErrNoSuchTable) {
		sc := icebergSchema(t)
		spec, serr := partitionSpec(t, sc)
		if serr != nil {
			return nil, serr
		}
		tbl, err = cat.CreateTable(ctx, id, sc, catalog.WithPartitionSpec(spec),
			catalog.WithProperties(iceberg.Properties{
				"format-version":                  formatVersion,
				"write.parquet.compression-codec": "zstd",
				// Each commit writes a new metadata file; keep the last
				// 100 and delete older ones as commits go, or a night of
				// shards leaves thousands.
				"write.metadata.delete-after-commit.enabled": "true",
				"write.metadata.previous-versions-max":       "100",
				"syncer.schema-doc":                          t.Doc,
			}))
		if errors.Is(err, catalog.ErrTableAlreadyExists) { // another shard made it first
			tbl, err = cat.LoadTable(ctx, id)
		}
	}
	if err != nil {
		return nil, err
	}
	return addMissingColumns(ctx, tbl, t)
}

// addMissingColumns adds, as optional columns, the columns of t that tbl
// lacks (added to the schema since the table was created).
func addMissingColumns(ctx context.Context, tbl *table.Table, t *schema.Table) (*table.Table, error) {
	cur := tbl.Schema()
	var missing []schema.Column
	for _, c := range t.Columns {
		if _, ok := cur.FindFieldByName(c.Name); !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return tbl, nil
	}
	tx := tbl.NewTransaction()
	upd := tx.UpdateSchema(true, false)
	for _, c := range missing {
		upd.AddColumn([]string{c.Name}, icebergType(c.Type), c.Doc, false, nil)
	}
	if err := upd.Commit(); err != nil {
		return nil, fmt.Errorf("adding columns: %w", err)
	}
	return tx.Commit(ctx)
}
