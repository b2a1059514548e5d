package lakeenv_test

import (
	"testing"

	"github.com/syncer/syncer/internal/lakeenv"
)

// TestMain is what every package whose tests use the lake servers writes:
// the servers start when a test first asks for one and stop after the
// tests.
func TestMain(m *testing.M) { lakeenv.Main(m) }
