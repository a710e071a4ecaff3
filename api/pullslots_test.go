package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"

	"tsunagu/api"
	"tsunagu/internal/store/storetest"
)

// pullGate watches pulls through admission (api.PullSlots.Observe) and
// holds in their slot those whose limit it was told to hold. Pulls are
// told apart by their limit.
type pullGate struct {
	mu       sync.Mutex
	admitted []int // limits, in the order they were let in
	events   map[string]chan int
	hold     map[int]chan struct{}
}

func newPullGate() *pullGate {
	g := &pullGate{events: map[string]chan int{}, hold: map[int]chan struct{}{}}
	for _, e := range []string{"queued", "left", "admitted"} {
		g.events[e] = make(chan int, 64)
	}
	return g
}

func (g *pullGate) observe(in api.PullInput, event string) {
	if in.Limit < 800 { // the fixture's own pulls
		return
	}
	g.mu.Lock()
	if event == "admitted" {
		g.admitted = append(g.admitted, in.Limit)
	}
	h := g.hold[in.Limit]
	g.mu.Unlock()
	g.events[event] <- in.Limit
	if event == "admitted" && h != nil {
		<-h
	}
}

// holdNext makes the pull of limit n wait in its slot until the returned
// function is called.
func (g *pullGate) holdNext(n int) func() {
	ch := make(chan struct{})
	g.mu.Lock()
	g.hold[n] = ch
	g.mu.Unlock()
	return func() { close(ch) }
}

// await waits until the pull of limit n has reached event.
func (g *pullGate) await(t *testing.T, event string, n int) {
	t.Helper()
	for got := range g.events[event] {
		if got == n {
			return
		}
		t.Fatalf("pull %d was %s while waiting for pull %d", got, event, n)
	}
}

func (g *pullGate) order() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.admitted)
}

// pullStatus sends a pull and returns its status (0 with the error when
// it got no answer); safe off the test's goroutine.
func pullStatus(ctx context.Context, c *client, query string) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", c.h.srv.URL+"/api/v1/sync/pull?"+query, nil)
	res, err := c.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// TestPullAdmission: with two slots, one of which a snapshot may take,
// a held snapshot never keeps an incremental pull from being answered,
// waiting pulls are let in in the order they came (incremental ones
// before a snapshot that came first), and a pull whose client goes away
// while it waits gives up its place.
func TestPullAdmission(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		g := newPullGate()
		h := newHarness(t, engine, func(o *api.Options) { o.Pulls = api.PullSlots{All: 2, Snapshots: 1, Observe: g.observe} })
		r := h.mustRegion()
		_, cur := r.nurseC.syncFromEmpty()
		snap := func(limit int) string {
			return fmt.Sprintf("patient_id=%s&cursor=%s&limit=%d", r.patientID, cur, limit)
		}
		inc := func(limit int) string { return fmt.Sprintf("cursor=%s&limit=%d", cur, limit) }

		type answer struct {
			limit, status int
			err           error
		}
		answers := make(chan answer, 16)
		send := func(ctx context.Context, limit int, query string) {
			go func() {
				st, err := pullStatus(ctx, r.nurseC, query)
				answers <- answer{limit, st, err}
			}()
		}
		// expectAll takes the answers of the pulls of these limits, in any
		// order (a slot is given back before the answer is on its way).
		expectAll := func(limits ...int) {
			t.Helper()
			for range limits {
				a := <-answers
				if !slices.Contains(limits, a.limit) || a.status != 200 {
					t.Fatalf("answer of pull %d: %d %v; want one of %v answered 200", a.limit, a.status, a.err, limits)
				}
			}
		}

		// A snapshot holds the snapshot slot; an incremental pull is still
		// answered, and so is the snapshot once it goes on.
		freeSnap := g.holdNext(801)
		send(context.Background(), 801, snap(801))
		g.await(t, "admitted", 801)
		if st, err := pullStatus(context.Background(), r.nurseC, inc(802)); st != 200 {
			t.Fatalf("incremental pull beside a held snapshot: %d %v", st, err)
		}
		g.await(t, "admitted", 802)

		// Both slots held (the snapshot, and an incremental pull): a second
		// snapshot waits, then three incremental pulls, one after the other.
		freeInc := g.holdNext(803)
		send(context.Background(), 803, inc(803))
		g.await(t, "admitted", 803)
		send(context.Background(), 804, snap(804))
		g.await(t, "queued", 804)
		for _, n := range []int{805, 806, 807} {
			send(context.Background(), n, inc(n))
			g.await(t, "queued", n)
		}
		// One of them goes away while it waits.
		gone, cancel := context.WithCancel(context.Background())
		send(gone, 808, inc(808))
		g.await(t, "queued", 808)
		send(context.Background(), 809, inc(809))
		g.await(t, "queued", 809)
		cancel()
		g.await(t, "left", 808)
		if a := <-answers; a.limit != 808 || a.err == nil {
			t.Fatalf("the cancelled pull: %+v", a)
		}

		// The snapshot's slot frees: the incremental pulls go first, one at
		// a time (803 still holds the other slot) in the order they came,
		// the cancelled one skipped; the second snapshot goes after them,
		// although it came first.
		freeSnap()
		expectAll(801, 805, 806, 807, 809, 804)
		freeInc()
		expectAll(803)
		if got, want := g.order(), []int{801, 802, 803, 805, 806, 807, 809, 804}; !slices.Equal(got, want) {
			t.Fatalf("admitted in the order %v, want %v", got, want)
		}
	})
}
