package alerts

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/audit"
	"tsunagu/internal/store"
)

// MaxPatientIDs is how many patient ids an alert keeps (the newest).
const MaxPatientIDs = 50

// Engine computes the alerts; it is the audit log's Watcher.
type Engine struct {
	// Config is the rules; a rule missing from it is off.
	Config Config
	// OnNew, when set, is called in the transaction of the firing that
	// opens a new alert (not for the updates of an open one). Its error
	// fails the transaction.
	OnNew func(ctx context.Context, tx *store.Tx, a Alert) error
	// NewID makes alert ids; UUIDv7 when nil.
	NewID func() string
}

// hit is one event a rule counts.
type hit struct {
	rule, user, facility, item, patient string
	at                                  time.Time
}

// group is what one transaction brought into the window of one (rule,
// user): the patients, and when.
type group struct {
	rule, user, facility string
	patients             []string
	at                   time.Time // the latest event
}

// Watch counts the events of one transaction (see audit.Watcher). Items are
// upserted in (rule, user, item) order, then each (rule, user) whose window
// gained an item is locked and counted in (rule, user) order: every
// transaction takes its row locks in one global order, so concurrent
// transactions on PostgreSQL never wait on each other in a cycle.
func (e *Engine) Watch(ctx context.Context, tx *store.Tx, events []*audit.Event) error {
	var hits []hit
	for _, ev := range events {
		rule, item, ok := matches(ev)
		if !ok || e.Config[rule].Off() {
			continue
		}
		if item == "" { // an event that counts by itself
			item = uuid.NewString()
		}
		hits = append(hits, hit{rule: rule, user: ev.ActorID, facility: ev.ActorFacility, item: item, patient: ev.PatientID, at: store.UTC(ev.At)})
	}
	if len(hits) == 0 {
		return nil
	}
	slices.SortStableFunc(hits, func(a, b hit) int { // the latest of an item first
		return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.user, b.user), cmp.Compare(a.item, b.item), b.at.Compare(a.at))
	})
	// One upsert per item: an item a transaction saw twice (a SQLite
	// group of one user's reads of one patient) counts once, at its latest.
	hits = slices.CompactFunc(hits, func(a, b hit) bool {
		return a.rule == b.rule && a.user == b.user && a.item == b.item
	})
	var groups []*group
	for _, h := range hits {
		r := e.Config[h.rule]
		var fresh bool
		if err := tx.Get(ctx, &fresh, seenSQL, h.rule, h.user, h.item, h.at, h.patient, h.at.Add(-r.Window)); err != nil {
			return fmt.Errorf("alerts: count %s: %w", h.rule, err)
		}
		if !fresh {
			continue // already counted in this window
		}
		var g *group
		if n := len(groups); n > 0 && groups[n-1].rule == h.rule && groups[n-1].user == h.user {
			g = groups[n-1]
		} else {
			g = &group{rule: h.rule, user: h.user}
			groups = append(groups, g)
		}
		if h.at.After(g.at) || g.facility == "" {
			g.facility = h.facility
		}
		if h.at.After(g.at) {
			g.at = h.at
		}
		if h.patient != "" && !slices.Contains(g.patients, h.patient) {
			g.patients = append(g.patients, h.patient)
		}
	}
	for _, g := range groups {
		if err := e.count(ctx, tx, g); err != nil {
			return err
		}
	}
	return nil
}

// seenSQL records that a rule saw an item of a user at a time, and answers
// whether the item has just entered the window (given its start): it is
// new, or was last seen before the window.
const seenSQL = `INSERT INTO alert_seen (rule, user_id, item, at, patient_id) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (rule, user_id, item) DO UPDATE SET
		at = CASE WHEN excluded.at > alert_seen.at THEN excluded.at ELSE alert_seen.at END, prev_at = alert_seen.at,
		patient_id = excluded.patient_id
	RETURNING prev_at IS NULL OR prev_at <= ?`

// count counts the window of g's rule and user, and fires at the threshold.
func (e *Engine) count(ctx context.Context, tx *store.Tx, g *group) error {
	r := e.Config[g.rule]
	if tx.Engine() == store.Postgres {
		// Writers of one (rule, user) count in turn: the one that waits here
		// counts, in a statement of its own (a new snapshot at READ
		// COMMITTED), every item the one before it committed.
		if _, err := tx.Exec(ctx, `INSERT INTO alert_tally (rule, user_id) VALUES (?, ?)
			ON CONFLICT (rule, user_id) DO UPDATE SET rule = excluded.rule`, g.rule, g.user); err != nil {
			return fmt.Errorf("alerts: lock tally: %w", err)
		}
	}
	var n int64
	if err := tx.Get(ctx, &n, `SELECT COUNT(*) FROM alert_seen WHERE rule = ? AND user_id = ? AND at > ?`, g.rule, g.user, g.at.Add(-r.Window)); err != nil {
		return fmt.Errorf("alerts: count: %w", err)
	}
	if n < int64(r.Threshold) {
		return nil
	}
	return e.fire(ctx, tx, g, n)
}

// fire updates the open alert of g's rule and user, or opens one.
func (e *Engine) fire(ctx context.Context, tx *store.Tx, g *group, n int64) error {
	var cur struct {
		ID         string    `db:"id"`
		PatientIDs string    `db:"patient_ids"`
		Count      int64     `db:"count"`
		LastAt     time.Time `db:"last_at"`
	}
	err := tx.Get(ctx, &cur, `SELECT id, patient_ids, count, last_at FROM alert WHERE rule = ? AND user_id = ? AND status = 'open'`, g.rule, g.user)
	switch {
	case err == nil:
		var ids []string
		if err := json.Unmarshal([]byte(cur.PatientIDs), &ids); err != nil {
			return fmt.Errorf("alerts: alert %s: patient ids: %w", cur.ID, err)
		}
		last := g.at
		if store.UTC(cur.LastAt).After(last) {
			last = store.UTC(cur.LastAt)
		}
		// The acknowledgement of this alert may have committed since it
		// was read (PostgreSQL): the update then changes nothing, and the
		// firing opens a new alert below.
		updated, err := tx.Exec(ctx, `UPDATE alert SET patient_ids = ?, count = ?, last_at = ? WHERE id = ? AND status = 'open'`,
			idList(mergeIDs(ids, g.patients)), max(cur.Count, n), last, cur.ID)
		if err != nil {
			return fmt.Errorf("alerts: update alert: %w", err)
		}
		if updated == 1 {
			return nil
		}
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("alerts: open alert: %w", err)
	}
	// A new alert names the patients of the window that made it fire.
	var inWindow []string
	if err := tx.Select(ctx, &inWindow, `SELECT patient_id FROM alert_seen WHERE rule = ? AND user_id = ? AND at > ? AND patient_id <> ''
		ORDER BY at, patient_id`, g.rule, g.user, g.at.Add(-e.Config[g.rule].Window)); err != nil {
		return fmt.Errorf("alerts: patients of the window: %w", err)
	}
	a := Alert{ID: e.newID(), Rule: g.rule, UserID: g.user, FacilityID: g.facility, PatientIDs: mergeIDs(mergeIDs(nil, inWindow), g.patients),
		Count: n, FirstAt: g.at, LastAt: g.at, Status: StatusOpen}
	if _, err := tx.Exec(ctx, `INSERT INTO alert (id, rule, user_id, facility_id, patient_ids, count, first_at, last_at, status, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', '')`, a.ID, a.Rule, a.UserID, a.FacilityID, idList(a.PatientIDs), a.Count, a.FirstAt, a.LastAt); err != nil {
		return fmt.Errorf("alerts: open alert: %w", err)
	}
	if e.OnNew != nil {
		return e.OnNew(ctx, tx, a)
	}
	return nil
}

func (e *Engine) newID() string {
	if e.NewID != nil {
		return e.NewID()
	}
	return uuid.Must(uuid.NewV7()).String()
}

// mergeIDs appends the ids of add not in ids, keeping the newest
// MaxPatientIDs.
func mergeIDs(ids, add []string) []string {
	out := slices.Clone(ids)
	for _, id := range add {
		if i := slices.Index(out, id); i >= 0 {
			out = slices.Delete(out, i, i+1) // seen again: now among the newest
		}
		out = append(out, id)
	}
	if len(out) > MaxPatientIDs {
		out = out[len(out)-MaxPatientIDs:]
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func idList(ids []string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}
