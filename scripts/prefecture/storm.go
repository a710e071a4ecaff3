package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"tsunagu/scripts/internal/loadclient"
)

// stormRun is the morning storm: -devices devices (500) of the network's
// staff, each signed in the evening before with its cursor at the head;
// overnight the night shift writes records; at 08:30 every device pulls
// at once — most from their cursor (incremental), one in 50 from empty
// (a new or wiped iPad: snapshots of its caseload). Reported: errors,
// request latency p50/p99, each device's whole sync p99, and the server's
// peak RSS.
func stormRun(bin string, env []string) error {
	tmp, err := os.MkdirTemp("", "tsunagu-storm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	srv, err := startServer(bin, env, tmp)
	if err != nil {
		return err
	}
	defer srv.Stop()

	// The devices' users: the network's staff round-robin (login ids
	// pref.<profession>.<n>, as Fill names them).
	logins, err := stormLogins(srv, *devices)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "storm: signing in %d devices …\n", len(logins))
	type device struct {
		c      *client
		cursor string
		fresh  bool
	}
	devs := make([]*device, len(logins))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	var failed error
	var mu sync.Mutex
	for i, l := range logins {
		wg.Add(1)
		go func(i int, l string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			d := &device{fresh: i%50 == 0}
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					failed = fmt.Errorf("device %d (%s): %v", i, l, r)
					mu.Unlock()
				}
			}()
			d.c = srv.signIn(l)
			if !d.fresh {
				d.cursor = loadclient.Must(d.c.Cursor())
			}
			devs[i] = d
		}(i, l)
	}
	wg.Wait()
	if failed != nil {
		return failed
	}

	// The night: 2,000 records across the network, 50 to a push, by the
	// nurses who signed in.
	fmt.Fprintln(os.Stderr, "storm: the night's writes …")
	night := 0
	for i := 0; i < len(devs) && night < 2000; i++ {
		if !strings.HasPrefix(logins[i], "pref.nurse.") || devs[i].fresh {
			continue
		}
		var pl struct {
			Patients []struct {
				ID string `json:"id"`
			} `json:"patients"`
		}
		devs[i].c.MustJSON("GET", "/api/v1/patients", nil, &pl)
		ms := []any{}
		for j := 0; j < 50 && j < len(pl.Patients); j++ {
			ms = append(ms, loadclient.RecordMutation(int64(j+1), pl.Patients[j].ID))
		}
		if err := devs[i].c.Push(uuid.NewString(), ms...); err != nil {
			return err
		}
		night += len(ms)
	}

	fmt.Fprintf(os.Stderr, "storm: 08:30, %d devices pull at once …\n", len(devs))
	rss := loadclient.PeakMemory(srv.Cmd.Process.Pid)
	// lats holds every request's latency; incLats and emptyLats the same
	// split by the kind of device that made it.
	var lats, incLats, emptyLats, syncs []float64
	var errs []string
	var entities int
	start := make(chan struct{})
	t0 := time.Now()
	for _, d := range devs {
		wg.Add(1)
		go func(d *device) {
			defer wg.Done()
			<-start
			local := []float64{}
			lat := func(x time.Duration) { local = append(local, float64(x.Microseconds())/1000) }
			t := time.Now()
			var n int
			var err error
			if d.fresh {
				n, err = d.c.SyncFromEmpty(lat)
			} else {
				n, _, err = d.c.PullAll(d.cursor, lat)
			}
			mu.Lock()
			defer mu.Unlock()
			lats = append(lats, local...)
			if d.fresh {
				emptyLats = append(emptyLats, local...)
			} else {
				incLats = append(incLats, local...)
			}
			syncs = append(syncs, float64(time.Since(t).Microseconds())/1000)
			entities += n
			if err != nil {
				errs = append(errs, err.Error())
			}
		}(d)
	}
	close(start)
	wg.Wait()
	wall := time.Since(t0)
	peak := rss()
	fresh := 0
	for _, d := range devs {
		if d.fresh {
			fresh++
		}
	}
	fmt.Printf("\nmorning storm — %s, %s\n\n", redact(*dbFlag), engineName())
	fmt.Printf("| devices | %d (%d from empty, %d incremental); the night's writes %d records |\n", len(devs), fresh, len(devs)-fresh, night)
	fmt.Printf("| requests | %d, errors %d, p50 %.0f ms, p99 %.0f ms, max %.0f ms |\n", len(lats), len(errs), loadclient.Percentile(lats, 0.5), loadclient.Percentile(lats, 0.99), loadclient.Percentile(lats, 1))
	fmt.Printf("| requests of the incremental devices | %d, p50 %.0f ms, p99 %.0f ms, max %.0f ms |\n", len(incLats), loadclient.Percentile(incLats, 0.5), loadclient.Percentile(incLats, 0.99), loadclient.Percentile(incLats, 1))
	fmt.Printf("| requests of the devices from empty | %d, p50 %.0f ms, p99 %.0f ms, max %.0f ms |\n", len(emptyLats), loadclient.Percentile(emptyLats, 0.5), loadclient.Percentile(emptyLats, 0.99), loadclient.Percentile(emptyLats, 1))
	fmt.Printf("| a device's whole sync | p50 %.0f ms, p99 %.0f ms; all done in %s, %d entities |\n", loadclient.Percentile(syncs, 0.5), loadclient.Percentile(syncs, 0.99), wall.Round(time.Millisecond), entities)
	fmt.Printf("| server RSS | max %d MB |\n", peak.RSS/1024)
	for i, e := range errs {
		if i == 5 {
			break
		}
		fmt.Println("error:", e)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d devices failed", len(errs))
	}
	return nil
}

// stormLogins names n devices' users: the generated staff, nurses first
// (they carry the iPads), then the other professions in turn, round again
// when a small scale has fewer staff than devices (a shared iPad each).
func stormLogins(srv *server, n int) ([]string, error) {
	profs := []string{"nurse", "doctor", "care_manager", "pharmacist", "care_worker", "therapist", "msw", "dentist"}
	admin := srv.signIn("pref.admin")
	byProf := map[string][]string{}
	for _, p := range profs {
		var us struct {
			Users []struct {
				LoginID string `json:"login_id"`
			} `json:"users"`
		}
		if err := admin.JSON("GET", "/api/v1/users?limit=500&profession="+p, nil, &us); err != nil {
			return nil, err
		}
		for _, u := range us.Users {
			if strings.HasPrefix(u.LoginID, "pref.") {
				byProf[p] = append(byProf[p], u.LoginID)
			}
		}
	}
	var all []string
	for k := 0; ; k++ {
		added := false
		for _, p := range profs {
			if k < len(byProf[p]) {
				all = append(all, byProf[p][k])
				added = true
			}
		}
		if !added {
			break
		}
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("no generated staff in the database")
	}
	out := make([]string, n)
	for i := range out {
		out[i] = all[i%len(all)]
	}
	return out, nil
}
