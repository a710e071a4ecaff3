package api

import (
	"container/list"
	"context"
	"sort"
	"sync"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// reach is what a viewer reaches: every patient with the scope, and the
// lists a pull page asks the change log with. Shared between requests:
// never changed once made.
type reach struct {
	scopes map[string]patientScope
	all    []string // every patient, sorted
	chart  []string // those read at chart level, sorted
}

// reachable returns every patient the user reaches now, with the scope,
// as tx sees the database. It is read on every pull page, and for a
// caseload of hundreds of patients the reading was a quarter of the page
// (docs/BUDGETS.md); so it is kept per viewer under the access epoch it
// was read at (store.AccessEpoch, which every write of team membership,
// consent or a patient's facility changes in its own transaction) and
// reused while the epoch stands. The viewer is the account as this
// request read it (its facility, profession and roles), so a change of
// the account is a different key. The epoch is read first: what Reaches
// then reads is at least as new as the epoch, never older.
func (s *Server) reachable(ctx context.Context, tx *store.Tx, p *Principal) (*reach, error) {
	epoch, err := tx.AccessEpoch(ctx)
	if err != nil {
		return nil, err
	}
	if r := s.reaches.get(p.Viewer, epoch); r != nil {
		return r, nil
	}
	entries, err := tx.Reaches(ctx, p.User.ID, p.Viewer.FacilityID)
	if err != nil {
		return nil, err
	}
	r := &reach{scopes: make(map[string]patientScope, len(entries))}
	for _, e := range entries {
		facts := e.Facts()
		lvl := care.PatientAccess(s.opt.Care, p.Viewer, facts)
		if lvl == care.None {
			continue
		}
		r.scopes[e.ID] = patientScope{Facts: facts, Level: lvl, Manage: care.CanManage(p.Viewer, facts, lvl)}
		r.all = append(r.all, e.ID)
		if lvl == care.Chart {
			r.chart = append(r.chart, e.ID)
		}
	}
	sort.Strings(r.all)
	sort.Strings(r.chart)
	if epoch != "" {
		s.reaches.put(p.Viewer, epoch, r)
	}
	return r, nil
}

// reachCacheSize bounds the patients the reach cache holds, over all
// viewers (about 200 bytes each): a prefecture's 1,600 members with
// caseloads of about 80, or 400 of 500.
const reachCacheSize = 200_000

// reachCache keeps the newest reach of each viewer, the least recently
// used viewers leaving first once it holds more than max patients.
type reachCache struct {
	mu    sync.Mutex
	max   int
	held  int
	order list.List // of *reachEntry, most recent first
	by    map[care.Viewer]*list.Element
}

type reachEntry struct {
	viewer care.Viewer
	epoch  string
	r      *reach
}

func newReachCache(max int) *reachCache {
	return &reachCache{max: max, by: map[care.Viewer]*list.Element{}}
}

// get returns the reach kept for v at epoch, or nil.
func (c *reachCache) get(v care.Viewer, epoch string) *reach {
	if epoch == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.by[v]
	if !ok {
		return nil
	}
	e := el.Value.(*reachEntry)
	if e.epoch != epoch {
		return nil
	}
	c.order.MoveToFront(el)
	return e.r
}

// put keeps r for v at epoch, in place of what v had.
func (c *reachCache) put(v care.Viewer, epoch string, r *reach) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.by[v]; ok {
		c.held -= len(el.Value.(*reachEntry).r.all)
		c.order.Remove(el)
		delete(c.by, v)
	}
	if len(r.all) > c.max {
		return
	}
	c.by[v] = c.order.PushFront(&reachEntry{viewer: v, epoch: epoch, r: r})
	c.held += len(r.all)
	for c.held > c.max {
		last := c.order.Back()
		e := last.Value.(*reachEntry)
		c.held -= len(e.r.all)
		c.order.Remove(last)
		delete(c.by, e.viewer)
	}
}
