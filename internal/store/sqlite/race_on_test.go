//go:build race

package sqlite

// raceEnabled is true under -race, which slows SQLite (pure Go, fully
// instrumented) about tenfold: load tests shrink to keep the suite fast.
const raceEnabled = true
