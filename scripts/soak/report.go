package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"tsunagu/scripts/internal/loadclient"
)

// sample is one look at the server processes.
type sample struct {
	at       time.Duration // since the load began
	rss, fds []int         // per instance (kB, count)
}

// result is what a soak measured.
type result struct {
	samples     []sample
	load        *load
	elapsed     time.Duration
	interrupted bool
	gone        []string   // instances that stopped answering /proc
	logErrors   [][]string // per instance, its log's ERROR lines' messages
}

// soak runs the mix for -d, writing a CSV row every tm.every.
func soak(ctx context.Context, servers []*loadclient.Server, devs []*device, fx *fixture, tm timing, out io.Writer) *result {
	res := &result{load: newLoad(fx, tm)}
	w := csv.NewWriter(out)
	head := []string{"utc", "elapsed_s", "phase"}
	for i := range servers {
		head = append(head, fmt.Sprintf("rss_kb_%d", i+1), fmt.Sprintf("anon_kb_%d", i+1), fmt.Sprintf("fds_%d", i+1))
	}
	head = append(head, "requests", "errors", "skipped", "rate_per_s")
	for _, c := range mix {
		head = append(head, c.name+"_n", c.name+"_p50_ms", c.name+"_p99_ms")
	}
	w.Write(append(head, "errors_by_kind"))
	w.Flush()

	runCtx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	done := make(chan struct{})
	start := res.load.start
	go func() { res.load.drive(runCtx, devs); close(done) }()
	tick := time.NewTicker(tm.every)
	defer tick.Stop()
	var lastDone int64
	lastAt := start
	for running := true; running; {
		select {
		case <-runCtx.Done():
			running = false
		case <-tick.C:
		}
		now := time.Now()
		at := now.Sub(start)
		if !running && (at < *duration-tm.every/2 || len(res.samples) > 0 && at-res.samples[len(res.samples)-1].at < tm.every/2) {
			break // interrupted (no partial last row), or the last tick was the end
		}
		s := sample{at: at}
		row := []string{now.UTC().Format(time.RFC3339), fmt.Sprintf("%.0f", at.Seconds()), phase(at, tm)}
		for i, srv := range servers {
			m, _ := loadclient.ReadMemory(srv.Cmd.Process.Pid)
			fds, _ := loadclient.OpenFDs(srv.Cmd.Process.Pid)
			if m.RSS == 0 && !slices.Contains(res.gone, fmt.Sprint(i+1)) {
				res.gone = append(res.gone, fmt.Sprint(i+1))
			}
			s.rss, s.fds = append(s.rss, m.RSS), append(s.fds, fds)
			row = append(row, fmt.Sprint(m.RSS), fmt.Sprint(m.Anon), fmt.Sprint(fds))
		}
		res.samples = append(res.samples, s)
		l := res.load
		l.mu.Lock()
		nerr := 0
		kinds := []string{}
		for k, n := range l.errs {
			nerr += n
			kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		}
		sort.Strings(kinds)
		row = append(row, fmt.Sprint(l.done), fmt.Sprint(nerr), fmt.Sprint(sum(l.skipped)), fmt.Sprintf("%.1f", float64(l.done-lastDone)/now.Sub(lastAt).Seconds()))
		lastDone, lastAt = l.done, now
		for _, c := range mix {
			xs := l.interval[c.name]
			row = append(row, fmt.Sprint(len(xs)), fmt.Sprintf("%.1f", loadclient.Percentile(xs, 0.5)), fmt.Sprintf("%.1f", loadclient.Percentile(xs, 0.99)))
			l.interval[c.name] = xs[:0]
		}
		l.mu.Unlock()
		w.Write(append(row, strings.Join(kinds, ";")))
		w.Flush()
		fmt.Fprintf(os.Stderr, "soak: %s %s rss %v kB fds %v, %d requests, %d errors\n", at.Round(time.Second), phase(at, tm), s.rss, s.fds, lastDone, nerr)
	}
	res.interrupted = ctx.Err() != nil
	cancel()
	<-done
	res.elapsed = time.Since(start)
	return res
}

func phase(at time.Duration, tm timing) string {
	switch {
	case at < tm.warmup:
		return "warmup"
	case at <= tm.warmup+tm.window:
		return "baseline"
	case at >= *duration-tm.window:
		return "final"
	}
	return "run"
}

// windowMedian is the median of f over the samples taken in [from, to].
func (r *result) windowMedian(from, to time.Duration, f func(sample) int) (float64, int) {
	xs := []float64{}
	for _, s := range r.samples {
		if s.at >= from && s.at <= to {
			xs = append(xs, float64(f(s)))
		}
	}
	return loadclient.Percentile(xs, 0.5), len(xs)
}

// summary prints the verdict and returns the exit code: 0 when RSS and
// open descriptors grew by less than 10 % on every instance and no request
// failed, else 1.
func (r *result) summary(w io.Writer, tm timing) int {
	code := 0
	l := r.load
	if len(r.samples) == 0 {
		fmt.Fprintln(w, "FAIL: no sample taken (interrupted at once)")
		return 1
	}
	fmt.Fprintf(w, "\nTsunagu soak — %d instances on PostgreSQL, %s at %.0f/s (%d operations, %.1f/s achieved)\n",
		len(r.samples[0].rss), r.elapsed.Round(time.Second), *rate, l.done, float64(l.done)/r.elapsed.Seconds())
	if r.interrupted {
		fmt.Fprintln(w, "INTERRUPTED before the end: the final window is the last samples taken")
		code = 1
	}
	last := r.samples[len(r.samples)-1].at
	b0, b1 := tm.warmup, tm.warmup+tm.window
	f0, f1 := last-tm.window, last
	fmt.Fprintf(w, "baseline: median of the samples in %s–%s; final: in %s–%s (a sample every %s)\n\n", b0, b1, f0.Round(time.Second), f1.Round(time.Second), tm.every)
	fmt.Fprintf(w, "| instance | RSS baseline → final      | growth  | open fds baseline → final | growth  |\n|---|---|---|---|---|\n")
	for i := range r.samples[0].rss {
		rb, nb := r.windowMedian(b0, b1, func(s sample) int { return s.rss[i] })
		rf, nf := r.windowMedian(f0, f1, func(s sample) int { return s.rss[i] })
		fb, _ := r.windowMedian(b0, b1, func(s sample) int { return s.fds[i] })
		ff, _ := r.windowMedian(f0, f1, func(s sample) int { return s.fds[i] })
		gr, gf := growth(rb, rf), growth(fb, ff)
		verdict := ""
		if nb == 0 || nf == 0 || gr >= 10 || gf >= 10 {
			verdict, code = "  ← FAIL", 1
		}
		fmt.Fprintf(w, "| %d | %.1f MB → %.1f MB | %+.1f %% | %.0f → %.0f | %+.1f %% |%s\n", i+1, rb/1024, rf/1024, gr, fb, ff, gf, verdict)
	}
	for _, g := range r.gone {
		fmt.Fprintf(w, "instance %s stopped during the run\n", g)
		code = 1
	}
	fmt.Fprintf(w, "\n| class | share | operations | p50 ms | p99 ms | p50 baseline → final | p99 baseline → final |\n|---|---|---|---|---|---|---|\n")
	for _, c := range mix {
		xs, b, f := l.all[c.name], l.base[c.name], l.final[c.name]
		fmt.Fprintf(w, "| %s | %d %% | %d | %.1f | %.1f | %.1f → %.1f | %.1f → %.1f |\n", c.name, c.share, len(xs), loadclient.Percentile(xs, 0.5), loadclient.Percentile(xs, 0.99),
			loadclient.Percentile(b, 0.5), loadclient.Percentile(f, 0.5), loadclient.Percentile(b, 0.99), loadclient.Percentile(f, 0.99))
	}
	kinds := []string{}
	nerr := 0
	for k, n := range l.errs {
		kinds = append(kinds, fmt.Sprintf("%s: %d", k, n))
		nerr += n
	}
	sort.Strings(kinds)
	for i, msgs := range r.logErrors {
		if len(msgs) > 0 {
			code = 1
			count := map[string]int{}
			for _, m := range msgs {
				count[m]++
			}
			fmt.Fprintf(w, "\nERRORS in instance %d's log: %d lines of level ERROR: %v\n", i+1, len(msgs), count)
		}
	}
	if n := sum(l.skipped); n > 0 {
		fmt.Fprintf(w, "\nskipped: %d operations found no free device (the servers fell behind -rate; not an error, but the rate was not held): %v\n", n, l.skipped)
	}
	if nerr > 0 {
		code = 1
		fmt.Fprintf(w, "\nERRORS: %d (class status: count)\n  %s\n", nerr, strings.Join(kinds, "\n  "))
	} else {
		fmt.Fprintln(w, "\nerrors: 0")
	}
	if *duration < time.Hour {
		fmt.Fprintln(w, "(a run under an hour checks the tool: the heap may still be settling in its windows, so its growth verdict is only indicative)")
	}
	if code == 0 {
		fmt.Fprintln(w, "PASS: RSS and open fds grew < 10 % on every instance, no error")
	} else {
		fmt.Fprintln(w, "FAIL")
	}
	return code
}

func growth(from, to float64) float64 {
	if from == 0 {
		return 0
	}
	return (to - from) / from * 100
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
