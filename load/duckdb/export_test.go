package duckdb

// KeyedTables lets the external tests read a warehouse's primary keys as
// the sink does.
var KeyedTables = keyedTables
