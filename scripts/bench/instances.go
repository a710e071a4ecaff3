package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"tsunagu/scripts/internal/loadclient"
)

// Several API instances on one PostgreSQL database, as behind a load
// balancer: with -instances 2 the bench starts a second server process on
// the first one's database, and the clients it signs in take the
// instances in turn (a client keeps its instance, as a sticky session
// would), so that every throughput run spreads its clients over both.

var instances = flag.Int("instances", 1, "API instances sharing the database (PostgreSQL, -db): the clients take them in turn")

var (
	bases []string      // the instances' addresses, the first one's first
	turn  atomic.Uint64 // which instance the next client signs in on
)

// startInstances starts the instances after the first (s), each with a
// data directory of its own under dir, and returns what stops them.
func (s *server) startInstances(bin, dir string) (func(), error) {
	bases = []string{s.base}
	if *instances <= 1 {
		return func() {}, nil
	}
	if *dbURL == "" {
		return nil, fmt.Errorf("-instances %d needs PostgreSQL (-db): SQLite is one process's file", *instances)
	}
	var cmds []*exec.Cmd
	stop := func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	}
	for i := 2; i <= *instances; i++ {
		addr, err := loadclient.FreeAddr()
		if err != nil {
			stop()
			return nil, err
		}
		data := filepath.Join(dir, fmt.Sprintf("instance-%d", i))
		if err := os.MkdirAll(data, 0o700); err != nil {
			stop()
			return nil, err
		}
		// The first instance's settings, its database included; an address,
		// a data directory and no profiler of its own.
		var env []string
		for _, kv := range s.cmd.Env {
			if !strings.HasPrefix(kv, "TSUNAGU_ADDR=") && !strings.HasPrefix(kv, "TSUNAGU_DATA_DIR=") && !strings.HasPrefix(kv, "TSUNAGU_DEBUG_ADDR=") {
				env = append(env, kv)
			}
		}
		logf, _ := os.Create(filepath.Join(data, "server.log"))
		srv, err := loadclient.Start(bin, append(env, "TSUNAGU_DATA_DIR="+data), addr, logf, 20*time.Second)
		if err != nil {
			stop()
			return nil, fmt.Errorf("instance %d: %w; see %s", i, err, filepath.Join(data, "server.log"))
		}
		cmds = append(cmds, srv.Cmd)
		bases = append(bases, "http://"+addr)
	}
	s.eng += fmt.Sprintf(", %d API instances", len(bases))
	return stop, nil
}

// nextBase is the instance the next client signs in on.
func nextBase() string {
	if len(bases) == 0 {
		return ""
	}
	return bases[(turn.Add(1)-1)%uint64(len(bases))]
}
