//go:build !unix

package emulate

import "time"

func raiseFileLimit(want uint64) uint64 { return 0 }

func cpuTime() (user, system time.Duration) { return 0, 0 }
