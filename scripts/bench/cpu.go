package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func numCPU() int { return runtime.NumCPU() }

// cpuTimes is the CPU time used so far by the server process and by the
// load generator itself. On a machine shared with other work the rates
// of a run fall with the CPU the others take; the CPU an operation costs
// does not, so each run also reports it, and the rate the machine's cores
// would give if the server and the generator had them to themselves.
type cpuTimes struct{ server, client time.Duration }

func (s *server) cpuNow() cpuTimes {
	var c cpuTimes
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid)); err == nil {
		// Fields after the command's closing parenthesis: utime and stime
		// are the 12th and 13th (clock ticks, 100 a second on Linux).
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 {
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 12 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				st, _ := strconv.ParseInt(f[12], 10, 64)
				c.server = time.Duration(u+st) * 10 * time.Millisecond
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.client = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return c
}

// cpuNotes are the CPU costs of the runs, printed under the table.
var cpuNotes []string

func (s *server) noteCPU(name string, before cpuTimes, ops int64) {
	if ops == 0 {
		return
	}
	after := s.cpuNow()
	srv := float64((after.server - before.server).Microseconds()) / 1000 / float64(ops)
	cli := float64((after.client - before.client).Microseconds()) / 1000 / float64(ops)
	cpuNotes = append(cpuNotes, fmt.Sprintf("%-22s server %.2f ms CPU/op, load generator %.2f ms/op → CPU ceiling on %d cores ~%.0f/s",
		name, srv, cli, numCPU(), float64(numCPU())*1000/(srv+cli)))
}
