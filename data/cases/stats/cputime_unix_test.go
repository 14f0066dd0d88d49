//go:build unix

package stats

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the process has used so far:
// a measure of work that other processes on a shared machine do not
// inflate, reported beside wall time by the benchmarks.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
