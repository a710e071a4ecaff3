package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"tsunagu/internal/blob"
	"tsunagu/internal/store"
)

// Fill writes the plan's prefecture into db through the store, and its
// photos (small JPEGs) into blobs.
//
// Generators make the patients' rows (planPatient) while the writers
// write them, Batch patients a transaction (writePatients: the store's
// bulk creates, so a statement writes many rows); Workers writers at once
// (one on SQLite, which has one writer anyway). A fill that stopped
// resumes: the network is read back from the database and the patients
// already written (each batch commits whole) are skipped, so running the
// same command again finishes it.
func Fill(ctx context.Context, db *store.DB, blobs blob.Store, p Plan) (Summary, error) {
	start := time.Now()
	if p.Years <= 0 {
		p.Years = 5
	}
	if p.Workers <= 0 {
		p.Workers = 1
	}
	if p.Progress == nil {
		p.Progress = io.Discard
	}
	sz := p.Sizes()
	sum := Summary{Facilities: sz.Facilities, Staff: sz.Staff}
	if db.Engine == store.SQLite {
		// The writer's page cache holds the indexes' pages across a
		// batch's transaction (the default 2 MB spills them to the log
		// mid-transaction, one write system call a page). Reads go
		// through that cache rather than the store's 1 GB map of the file,
		// whose pages would count in the fill's RSS as the database grows.
		// Pragmas hold per connection: set them on both of the writer
		// pool's (the committer takes either).
		var conns []*sql.Conn
		for k := 0; k < 2; k++ {
			c, err := db.SQL().Conn(ctx)
			if err != nil {
				return sum, err
			}
			conns = append(conns, c)
			for _, q := range []string{`PRAGMA cache_size = -196608`, `PRAGMA mmap_size = 0`} {
				if _, err := c.ExecContext(ctx, q); err != nil {
					return sum, err
				}
			}
		}
		for _, c := range conns {
			c.Close()
		}
	}
	w, done, err := loadWorld(ctx, db)
	if err != nil {
		return sum, err
	}
	if w == nil {
		rng := rand.New(rand.NewPCG(p.Seed, 15))
		if w, err = fillNetwork(ctx, db, p, sz, rng, &sum); err != nil {
			return sum, err
		}
		fmt.Fprintf(p.Progress, "network: %d facilities, %d staff (%s)\n", sum.Facilities, sum.Staff, time.Since(start).Round(time.Millisecond))
	} else {
		sum.Staff = len(w.staff)
		fmt.Fprintf(p.Progress, "resuming: the network is there (%d staff), %d patients already written\n", len(w.staff), len(done))
	}
	var todo []int
	for i := 0; i < sz.Patients; i++ {
		if !done[i] {
			todo = append(todo, i)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var errMu sync.Mutex
	var firstErr error
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		cancel()
	}

	batch := max(1, p.Batch)
	ids := make(chan []int)
	go func() {
		defer close(ids)
		for k := 0; k < len(todo); k += batch {
			select {
			case ids <- todo[k:min(len(todo), k+batch)]:
			case <-ctx.Done():
				return
			}
		}
	}()
	// Generators: a core's worth beside the writer. The channels hold a
	// few batches, which bounds the memory (a batch of 16 patients is
	// ~2,700 records).
	ready := make(chan []*patientRows, 1)
	var gens sync.WaitGroup
	for g := 0; g < max(1, min(runtime.NumCPU(), p.Workers+1)); g++ {
		gens.Add(1)
		go func() {
			defer gens.Done()
			for b := range ids {
				rows := make([]*patientRows, 0, len(b))
				for _, i := range b {
					pr, err := planPatient(ctx, blobs, p, w, i)
					if err != nil {
						fail(err)
						return
					}
					rows = append(rows, pr)
				}
				select {
				case ready <- rows:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { gens.Wait(); close(ready) }()

	results := make(chan Summary)
	var writers sync.WaitGroup
	for k := 0; k < p.Workers; k++ {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for rows := range ready {
				if ctx.Err() != nil {
					continue // drain: the generators stop on the cancel
				}
				if err := db.Write(ctx, func(tx *store.Tx) error { return writePatients(ctx, tx, rows) }); err != nil {
					fail(err)
					continue
				}
				if db.Engine == store.SQLite {
					// The store's checkpointer copies the log PASSIVEly
					// between commits; a writer that never pauses keeps it
					// from ever reaching the log's end, and the log then
					// grows without bound (16 GB beside a 3.7 GB database
					// after 115,000 records). Between two batches nothing
					// writes: copy it all and truncate it.
					if _, err := db.SQL().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
						fail(err)
						continue
					}
				}
				var s Summary
				for _, pr := range rows {
					s.add(pr.sum)
					s.Patients++
				}
				results <- s
			}
		}()
	}
	go func() { writers.Wait(); close(results) }()

	last := time.Now()
	for s := range results {
		sum.add(s)
		sum.Patients += s.Patients
		if time.Since(last) >= 10*time.Second || sum.Patients == len(todo) {
			last = time.Now()
			el := time.Since(start).Seconds()
			eta := time.Duration(float64(len(todo)-sum.Patients) / (float64(sum.Patients) / el) * float64(time.Second))
			fmt.Fprintf(p.Progress, "  %d/%d patients, %d records (%.0f records/s), ETA %s, RSS %s\n", len(done)+sum.Patients, sz.Patients, sum.Records,
				float64(sum.Records)/el, eta.Round(time.Second), rss())
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, firstErr
}

func (s *Summary) add(o Summary) {
	s.TeamMembers += o.TeamMembers
	s.Records += o.Records
	s.Versions += o.Versions
	s.Visits += o.Visits
	s.Photos += o.Photos
	s.AuditEvents += o.AuditEvents
}

// loadWorld reads back the network of an earlier fill of db and which
// patients it wrote; nil when db holds none.
func loadWorld(ctx context.Context, db *store.DB) (*world, map[int]bool, error) {
	var users []struct {
		ID         string `db:"id"`
		LoginID    string `db:"login_id"`
		Profession string `db:"profession"`
		FacilityID string `db:"facility_id"`
	}
	var names []string
	if err := db.Read(ctx, func(tx *store.Tx) error {
		if err := tx.Select(ctx, &users, `SELECT id, login_id, profession, COALESCE(facility_id, '') AS facility_id FROM app_user WHERE login_id LIKE 'pref.%'`); err != nil {
			return err
		}
		return tx.Select(ctx, &names, `SELECT name FROM patient WHERE name LIKE ?`, strings.TrimSuffix(patientName(0), "1")+"%")
	}); err != nil {
		return nil, nil, fmt.Errorf("read an earlier fill: %w", err)
	}
	admin := false
	type staff struct {
		m        member
		mix, num int
	}
	var st []staff
	for _, u := range users {
		if u.LoginID == "pref.admin" {
			admin = true
			continue
		}
		// pref.<profession>.<n>, n from 1 in each profession, made in
		// staffMix's order: the order teamOf picks from.
		parts := strings.Split(u.LoginID, ".")
		if len(parts) != 3 {
			continue
		}
		n, err := strconv.Atoi(parts[2])
		if err != nil {
			continue
		}
		mix := -1
		for k, m := range staffMix {
			if m.prof == u.Profession {
				mix = k
			}
		}
		if mix < 0 {
			continue
		}
		st = append(st, staff{member{id: u.ID, facility: u.FacilityID, prof: u.Profession}, mix, n})
	}
	if !admin {
		// The network is written in one transaction, the admin last: no
		// admin, no network.
		return nil, nil, nil
	}
	sort.Slice(st, func(a, b int) bool {
		if st[a].mix != st[b].mix {
			return st[a].mix < st[b].mix
		}
		return st[a].num < st[b].num
	})
	w := &world{byProf: map[string][]member{}}
	for _, s := range st {
		w.staff = append(w.staff, s.m)
		w.byProf[s.m.prof] = append(w.byProf[s.m.prof], s.m)
	}
	done := map[int]bool{}
	prefix := strings.TrimSuffix(patientName(0), "1")
	for _, n := range names {
		if i, err := strconv.Atoi(strings.TrimPrefix(n, prefix)); err == nil {
			done[i-1] = true
		}
	}
	return w, done, nil
}

// rss is the process's resident memory, as /proc says it (anonymous and
// the database file's mapped pages).
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		for _, k := range []string{"VmRSS:", "RssAnon:", "RssFile:"} {
			if strings.HasPrefix(l, k) {
				f := strings.Fields(l)
				if len(f) >= 2 {
					kb, _ := strconv.Atoi(f[1])
					out = append(out, fmt.Sprintf("%s %d MB", strings.TrimSuffix(strings.ToLower(k), ":"), kb/1024))
				}
			}
		}
	}
	return strings.Join(out, ", ")
}
