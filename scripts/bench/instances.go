package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
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
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			stop()
			return nil, err
		}
		addr := ln.Addr().String()
		ln.Close()
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
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(env, "TSUNAGU_ADDR="+addr, "TSUNAGU_DATA_DIR="+data)
		cmd.Stdout = io.Discard
		logf, _ := os.Create(filepath.Join(data, "server.log"))
		cmd.Stderr = logf
		if err := cmd.Start(); err != nil {
			stop()
			return nil, err
		}
		cmds = append(cmds, cmd)
		if err := waitHealthy("http://" + addr); err != nil {
			stop()
			return nil, fmt.Errorf("instance %d: %w; see %s", i, err, filepath.Join(data, "server.log"))
		}
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

func waitHealthy(base string) error {
	for i := 0; i < 200; i++ {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("did not start")
}
