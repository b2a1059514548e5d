//go:build !proof

package main

// fullProof is false without the proof build tag: see proof_scope_full_test.go.
const fullProof = false
