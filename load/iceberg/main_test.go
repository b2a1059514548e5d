package iceberg_test

import (
	"testing"

	"github.com/syncer/syncer/internal/lakeenv"
)

// The lake tests that need PostgreSQL and an S3 server start them here
// (lakeenv); the others need neither.
func TestMain(m *testing.M) { lakeenv.Main(m) }
