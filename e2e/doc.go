// Package e2e holds the system tests: whole conversations replayed against
// golden transcripts, recorded LINE payloads, the staff console (also in a
// headless Chromium), storms of redelivered events across replicas, with
// injected faults, killed processes, a restarted Redis, Redis Cluster and
// Sentinel, and a benchmark of whole withdrawals. They start the system with
// package demo (which builds its replicas with package replica, as `taikai
// serve` does) and, for the process tests, `taikai serve` itself.
//
// They are slow by design: `go test ./e2e`; `-short` skips the storms and
// the browser.
package e2e
