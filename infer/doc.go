// Package infer uses trained surrogates: single-cell rollouts checked
// against the reference simulator, and networks of surrogate cells with
// sparse connectivity and synaptic delays, checked by replaying recorded
// inputs through the reference (see network.go). Metrics live in
// infer/metrics; this package computes, cmd renders.
package infer
