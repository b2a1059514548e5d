//go:build proof

package main

// fullProof is set by the proof build tag: every proof runs its slow, full
// form (go test -tags proof ./cmd/syncer -run Proof -v). Without the tag,
// each runs a cheap form that keeps the default suite quick.
const fullProof = true
