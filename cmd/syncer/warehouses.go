package main

import (
	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/load/duckdb"
	"github.com/syncer/syncer/load/iceberg"
	"github.com/syncer/syncer/load/parquet"
)

// warehouses are the kinds of warehouse syncer knows, in the order a run
// commits to them: the first one the flags enable is the primary warehouse,
// which serves sql, status and a run's known logins and keeps the holder key
// and Multi's journal. A new sink registers its Kind here.
var warehouses = func() *load.Registry {
	r := &load.Registry{}
	r.Register(duckdb.Kind)
	r.Register(parquet.Kind)
	r.Register(iceberg.Kind)
	return r
}()
