package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/PID/stat (USER_HZ,
// 100 on Linux).
const clockTick = 10 * time.Millisecond

// procCPU is the user+system CPU time of a process, plus that of its
// children it has waited for (fields 14-17 of /proc/PID/stat), and its
// parent's pid; ok is false when the process is gone or /proc is absent.
func procCPU(pid int) (cpu time.Duration, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	// The command name (field 2) may hold spaces; fields resume after ')'.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
		v, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * clockTick, ppid, true
}

// treeCPU is the CPU time of pid and of its direct children (PostgreSQL's
// postmaster and its backends); 0 when pid is 0.
func treeCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	total, _, _ := procCPU(pid)
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		child, err := strconv.Atoi(filepath.Base(d))
		if err != nil || child == pid {
			continue
		}
		if cpu, ppid, ok := procCPU(child); ok && ppid == pid {
			total += cpu
		}
	}
	return total
}

// cpuMeter measures the server CPU both systems spend on one row.
type cpuMeter struct {
	cgPID, pgPID int
	cg0, pg0     time.Duration
}

func (b *bench) startCPU() *cpuMeter {
	m := &cpuMeter{cgPID: b.cfg.servePID, pgPID: b.cfg.pgPID}
	m.cg0, m.pg0 = treeCPU(m.cgPID), treeCPU(m.pgPID)
	return m
}

// cgDone and pgDone read the server CPU spent since start.
func (m *cpuMeter) cgDone() time.Duration { return treeCPU(m.cgPID) - m.cg0 }
func (m *cpuMeter) pgDone() time.Duration { return treeCPU(m.pgPID) - m.pg0 }

// cpuRow is a row of server CPU time, when both pids are known.
func (b *bench) cpuRow(op string, cg, pg time.Duration, n int) row {
	if b.cfg.servePID == 0 || b.cfg.pgPID == 0 {
		return row{op: op + " (not measured: -serve-pid and -pg-pid not given)", n: n}
	}
	return row{op: op, cg: cg, pg: pg, n: n, note: "CPU time (user + system, 10 ms ticks from /proc) of the citygrid server process vs the postmaster and its backends, over the row above; the load generator's own CPU is excluded on both sides"}
}
