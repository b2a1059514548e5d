//go:build proof

package main

import "testing"

// The slow proofs: go test -tags proof ./cmd/syncer -run Proof -v

// TestProofCrashConvergesSeeds kills a 200-login sync at 10 seeded points
// per sink and checks that each re-run converges to the uninterrupted run.
func TestProofCrashConvergesSeeds(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, sink := range crashSinks {
		t.Run(sink.name, func(t *testing.T) { checkCrashConverges(t, sink, seeds, 200) })
	}
}

// TestProofRunsParquet is the idempotence and a-day-later proofs over the
// Parquet dataset.
func TestProofRunsParquet(t *testing.T) {
	t.Run("idempotent", func(t *testing.T) { checkIdempotent(t, crashSinks[1]) })
	t.Run("a day later", func(t *testing.T) { checkADayLater(t, crashSinks[1]) })
}
