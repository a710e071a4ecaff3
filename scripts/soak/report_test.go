package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// run of 10 minutes: warm-up 2, windows of 2, a sample a minute, RSS and
// fds of one instance as given.
func verdict(t *testing.T, rss, fds func(min int) int, fail error, logErrs []string) (int, string) {
	t.Helper()
	*duration = 10 * time.Minute
	tm := timing{warmup: 2 * time.Minute, window: 2 * time.Minute, every: time.Minute}
	r := &result{load: newLoad(&fixture{}, tm), elapsed: *duration, logErrors: [][]string{logErrs}}
	for m := 1; m <= 10; m++ {
		r.samples = append(r.samples, sample{at: time.Duration(m) * time.Minute, rss: []int{rss(m)}, fds: []int{fds(m)}})
	}
	r.load.record("write", time.Millisecond, fail)
	var b strings.Builder
	return r.summary(&b, tm), b.String()
}

func TestSoakVerdict(t *testing.T) {
	flat := func(int) int { return 100_000 }
	creeping := func(m int) int { return 100_000 + m*2_000 } // 2 % a minute: 106k → 118k
	warmupOnly := func(m int) int { return map[bool]int{true: 50_000, false: 100_000}[m < 2] }
	for name, c := range map[string]struct {
		rss, fds func(int) int
		fail     error
		logErrs  []string
		want     int
		says     string
	}{
		"flat":                       {flat, flat, nil, nil, 0, "PASS"},
		"growth in the warm-up only": {warmupOnly, flat, nil, nil, 0, "PASS"},
		"RSS creeps":                 {creeping, flat, nil, nil, 1, "FAIL"},
		"fds creep":                  {flat, creeping, nil, nil, 1, "FAIL"},
		"a request failed":           {flat, flat, errors.New("push: a mutation rejected"), nil, 1, "write refused: 1"},
		"an ERROR in a server log":   {flat, flat, nil, []string{"push failed"}, 1, "push failed"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out := verdict(t, c.rss, c.fds, c.fail, c.logErrs)
			if code != c.want || !strings.Contains(out, c.says) {
				t.Errorf("exit %d, want %d; summary:\n%s", code, c.want, out)
			}
		})
	}
}

func TestTimingsScaleWithTheRun(t *testing.T) {
	for _, c := range []struct {
		d                     time.Duration
		warmup, window, every time.Duration
	}{
		{2 * time.Hour, 10 * time.Minute, 10 * time.Minute, 30 * time.Second},
		{2 * time.Minute, 40 * time.Second, 20 * time.Second, 4 * time.Second},
	} {
		*duration = c.d
		tm, err := timings()
		if err != nil || tm.warmup != c.warmup || tm.window != c.window || tm.every != c.every {
			t.Errorf("-d %s: %+v %v, want warm-up %s, windows %s, every %s", c.d, tm, err, c.warmup, c.window, c.every)
		}
	}
	*duration = 10 * time.Second
	*every = time.Minute
	defer func() { *every = 0 }()
	if _, err := timings(); err == nil {
		t.Error("-d 10s with -every 1m: no error")
	}
}
