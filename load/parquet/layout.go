package parquet

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/syncer/syncer/internal/durable"
	"github.com/syncer/syncer/schema"
)

// DefaultBuckets is the number of login buckets of a new dataset.
const DefaultBuckets = 16

// datasetFile records the layout parameters a dataset was created with, so
// every later writer partitions the same way.
const datasetFile = "_dataset.json"

// datasetInfo is the content of DIR/_dataset.json.
type datasetInfo struct {
	FormatVersion int    `json:"format_version"`
	Buckets       int    `json:"buckets"`
	BucketHash    string `json:"bucket_hash"`
}

const bucketHashName = "fnv1a32(login_id) mod buckets"

// layout maps a table's rows to the one file of the dataset that holds them.
//
// A table whose key contains login_id is split into login buckets
// (fnv1a32(login_id) mod buckets) and, for each schema PartitionBy column in
// its key, into Hive directories (positions: as_of_date=YYYY-MM-DD). Every
// other table is a single file. Each partition is exactly one file at a fixed
// name, so a partition is replaced by an atomic rename.
type layout struct {
	buckets int
}

// tableLayout is the layout of one table, with column positions resolved.
type tableLayout struct {
	table   *schema.Table
	hive    []int // column indexes of the Hive directory columns, in PartitionBy order
	loginAt int   // column index of login_id when the table is bucketed, else -1
}

func (l layout) forTable(t *schema.Table) (tableLayout, error) {
	tl := tableLayout{table: t, loginAt: -1}
	if slices.Contains(t.Key, "login_id") {
		tl.loginAt = t.Index("login_id")
	}
	for _, name := range t.PartitionBy {
		i := t.Index(name)
		if i < 0 || !slices.Contains(t.Key, name) {
			return tl, fmt.Errorf("parquet: table %s: partition column %s must be a key column", t.Name, name)
		}
		tl.hive = append(tl.hive, i)
	}
	return tl, nil
}

// filePath returns the dataset-relative path (slash-separated) of the file
// holding a row whose values at the partition columns are given by value.
func (l layout) filePath(tl tableLayout, value func(col int) any) (string, error) {
	var b strings.Builder
	b.WriteString(tl.table.Name)
	for _, i := range tl.hive {
		c := tl.table.Columns[i]
		v, err := hiveValue(c.Type, value(i))
		if err != nil {
			return "", fmt.Errorf("table %s column %s: %w", tl.table.Name, c.Name, err)
		}
		b.WriteString("/" + c.Name + "=" + v)
	}
	if tl.loginAt < 0 {
		b.WriteString("/data.parquet")
		return b.String(), nil
	}
	login, ok := value(tl.loginAt).(string)
	if !ok {
		return "", fmt.Errorf("table %s: login_id is not a string", tl.table.Name)
	}
	fmt.Fprintf(&b, "/part-b%03d.parquet", l.bucket(login))
	return b.String(), nil
}

// bucket is the stable login bucket of a LoginId.
func (l layout) bucket(login string) int {
	h := fnv.New32a()
	h.Write([]byte(login))
	return int(h.Sum32() % uint32(l.buckets))
}

// hiveValue renders a partition value as its directory name part. DATE gives
// YYYY-MM-DD, which DuckDB, Spark, Trino and Polars all infer as a date.
func hiveValue(t schema.Type, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", errors.New("NULL partition value")
	case time.Time:
		if t.Kind == schema.KindDate {
			return x.UTC().Format(time.DateOnly), nil
		}
	case string:
		if t.Kind == schema.KindVarchar && x != "" {
			return url.PathEscape(x), nil
		}
	}
	return "", fmt.Errorf("unsupported partition value of type %T", v)
}

// openDataset reads DIR/_dataset.json, or creates it with the requested
// number of buckets (DefaultBuckets when 0). A dataset's bucket count
// never changes: asking for a different one is an error.
func openDataset(dir string, buckets int) (datasetInfo, error) {
	path := filepath.Join(dir, datasetFile)
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		var info datasetInfo
		if err := json.Unmarshal(raw, &info); err != nil {
			return info, fmt.Errorf("parquet: %s: %w", datasetFile, err)
		}
		if info.Buckets <= 0 {
			return info, fmt.Errorf("parquet: %s: invalid bucket count %d", datasetFile, info.Buckets)
		}
		if buckets != 0 && buckets != info.Buckets {
			return info, fmt.Errorf("parquet: dataset has %d login buckets, not the %d asked for", info.Buckets, buckets)
		}
		return info, nil
	case errors.Is(err, os.ErrNotExist):
		if buckets == 0 {
			buckets = DefaultBuckets
		}
		if buckets < 0 || buckets > 4096 {
			return datasetInfo{}, fmt.Errorf("parquet: bucket count %d out of range 1..4096", buckets)
		}
		info := datasetInfo{FormatVersion: 1, Buckets: buckets, BucketHash: bucketHashName}
		raw, _ := json.MarshalIndent(info, "", "  ")
		return info, durable.WriteAtomic(dir, datasetFile, append(raw, '\n'))
	default:
		return datasetInfo{}, fmt.Errorf("parquet: %w", err)
	}
}
