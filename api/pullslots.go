package api

import (
	"container/list"
	"context"
	"runtime"
	"sync"
)

// Admission of pulls. At 08:30 every device of a region pulls at once: a
// few from empty (a snapshot of each patient of the caseload, hundreds of
// entities each) and most from their cursor (a page of the night's
// changes). Served all at once they share the cores and the database's
// readers, and every answer takes as long as the slowest; the many small
// pulls waited behind the snapshots (docs/BUDGETS.md, "the morning
// storm"). So a bounded number of pulls run at once and the rest wait, in
// the order they came, and never are refused for it:
//
//   - an incremental pull (a page from a cursor, or a first pull, which
//     only names the snapshots to take) waits only for a slot;
//   - a snapshot (patient_id) also waits for one of few snapshot slots,
//     and for every incremental pull waiting before it is let in, so the
//     small pulls never queue behind the large ones.
//
// A pull holds its slot while it reads and encodes its answer, not while
// the answer travels: a slow link does not keep others waiting. A waiter
// whose client goes away leaves the queue. What runs at once is what uses
// memory (a page, a snapshot); a waiter holds only its parsed request.

// PullSlots bounds the pulls served at once; zero fields take the
// defaults.
type PullSlots struct {
	// All is how many pulls run at once (default: two a core, between 2
	// and 8: SQLite has 8 readers, and the pull's CPU is the bound).
	All int
	// Snapshots is how many of them may be snapshots (default: a quarter
	// of All, at least 1). It is kept below All, so that an incremental
	// pull always finds a slot that no snapshot may take.
	Snapshots int
	// Observe, when set, is told of each pull's way through admission:
	// "queued" when it starts to wait, "left" when its client went while
	// it waited, "admitted" once it holds its slot (before it reads). For
	// tests, which hold a slot by blocking in "admitted".
	Observe func(in PullInput, event string)
}

func (p PullSlots) withDefaults() PullSlots {
	if p.All <= 0 {
		p.All = min(max(2*runtime.GOMAXPROCS(0), 2), 8)
	}
	if p.Snapshots <= 0 {
		p.Snapshots = max(p.All/4, 1)
	}
	if p.All > 1 {
		p.Snapshots = min(p.Snapshots, p.All-1)
	} else {
		p.Snapshots = 1
	}
	return p
}

// admission hands out the slots: two queues, each first come first
// served.
type admission struct {
	mu             sync.Mutex
	all, snapshots int // limits
	running, snaps int // held
	small, large   list.List
}

// waiter is a pull in a queue; ready is closed when it holds a slot.
type waiter struct {
	snapshot bool
	ready    chan struct{}
	el       *list.Element
}

func newAdmission(p PullSlots) *admission {
	p = p.withDefaults()
	return &admission{all: p.All, snapshots: p.Snapshots}
}

// acquire waits for a slot of the pull's class and returns the function
// that gives it back, or ctx's error when ctx ends first, the pull then
// having left the queue. queued, if not nil, is called when the pull
// starts to wait.
func (a *admission) acquire(ctx context.Context, snapshot bool, queued func()) (func(), error) {
	a.mu.Lock()
	q := &a.small
	if snapshot {
		q = &a.large
	}
	if q.Len() == 0 && a.fits(snapshot) {
		a.take(snapshot)
		a.mu.Unlock()
		return a.releaser(snapshot), nil
	}
	w := &waiter{snapshot: snapshot, ready: make(chan struct{})}
	w.el = q.PushBack(w)
	a.mu.Unlock()
	if queued != nil {
		queued()
	}
	select {
	case <-w.ready:
		return a.releaser(snapshot), nil
	case <-ctx.Done():
	}
	a.mu.Lock()
	select {
	case <-w.ready:
		// Let in as the client went: pass the slot on.
		a.give(snapshot)
	default:
		q.Remove(w.el)
		// The snapshots wait while an incremental pull does: the last
		// of those leaving may let one in.
		a.dispatch()
	}
	a.mu.Unlock()
	return nil, ctx.Err()
}

// fits says whether a pull of the class may start now, queues aside.
func (a *admission) fits(snapshot bool) bool {
	if a.running >= a.all {
		return false
	}
	return !snapshot || (a.snaps < a.snapshots && a.small.Len() == 0)
}

func (a *admission) take(snapshot bool) {
	a.running++
	if snapshot {
		a.snaps++
	}
}

// give returns a slot and lets the next waiters in; a.mu is held.
func (a *admission) give(snapshot bool) {
	a.running--
	if snapshot {
		a.snaps--
	}
	a.dispatch()
}

// dispatch lets waiters in while they fit: incremental pulls first, then
// snapshots; a.mu is held.
func (a *admission) dispatch() {
	for {
		switch {
		case a.small.Len() > 0 && a.fits(false):
			a.let(&a.small)
		case a.large.Len() > 0 && a.fits(true):
			a.let(&a.large)
		default:
			return
		}
	}
}

func (a *admission) let(q *list.List) {
	w := q.Remove(q.Front()).(*waiter)
	a.take(w.snapshot)
	close(w.ready)
}

func (a *admission) releaser(snapshot bool) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			a.give(snapshot)
			a.mu.Unlock()
		})
	}
}
