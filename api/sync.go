package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// Sync protocol (DESIGN.md "Sync protocol"): the app pushes its queued
// mutations, each applied once and answered from the ledger when resent,
// and pulls the changes it may see since its cursor.

// schemaVersion goes into every cursor; bumping it makes every client start
// afresh (410) after a change to what pull sends.
const schemaVersion = 1

// Change ops.
const (
	opUpsert = "upsert"
	opDelete = "delete"
)

// changed appends a change of patient patientID to the change log inside tx
// and, once tx commits, tells the patient's team (and extra users, such as
// a member just removed) to pull.
func (s *Server) changed(ctx context.Context, tx *store.Tx, c store.Change, extra ...string) error {
	c.At = s.now()
	if c.Op == "" {
		c.Op = opUpsert
	}
	row := tx.AppendChange(ctx, c)
	team, err := tx.TeamUserIDs(ctx, c.PatientID)
	if err != nil {
		return err
	}
	users := append(team, extra...)
	tx.AfterCommit(func() { s.hint(users, row.Seq) })
	return nil
}

// accessChanged records that who may reach the patient changed: for one
// user (subject), or for the whole team (subject "").
func (s *Server) accessChanged(ctx context.Context, tx *store.Tx, patientID, subject string) error {
	extra := []string{}
	if subject != "" {
		extra = append(extra, subject)
	}
	return s.changed(ctx, tx, store.Change{PatientID: patientID, Entity: "access", EntityID: subject, SubjectID: subject}, extra...)
}

// cursor is the decoded form of the opaque pull cursor.
type cursor struct {
	Seq int64
}

func (s *Server) userTag(userID string) string {
	m := hmac.New(sha256.New, s.cursorKey)
	m.Write([]byte("user:" + userID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:9])
}

// encodeCursor makes an opaque, signed cursor bound to one user and to the
// schema version.
func (s *Server) encodeCursor(userID string, c cursor) string {
	body := fmt.Sprintf("%d.%d.%s", schemaVersion, c.Seq, s.userTag(userID))
	m := hmac.New(sha256.New, s.cursorKey)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString([]byte(body)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

var errCursor = &care.Error{Code: care.CodeCursorExpired}

// decodeCursor checks the signature, the user and the schema version, and
// accepts only a cursor exactly as encodeCursor wrote it; any mismatch
// answers 410 so the app starts afresh.
func (s *Server) decodeCursor(userID, raw string, last int64) (cursor, error) {
	if raw == "" {
		return cursor{}, nil
	}
	b64, sig, ok := strings.Cut(raw, ".")
	body, err := base64.RawURLEncoding.DecodeString(b64)
	if !ok || err != nil {
		return cursor{}, errCursor
	}
	m := hmac.New(sha256.New, s.cursorKey)
	m.Write(body)
	want := base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return cursor{}, errCursor
	}
	parts := strings.Split(string(body), ".")
	if len(parts) != 3 || parts[0] != strconv.Itoa(schemaVersion) || parts[2] != s.userTag(userID) {
		return cursor{}, errCursor
	}
	seq, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || seq < 0 || seq > last {
		return cursor{}, errCursor
	}
	// Only the exact bytes the server wrote pass: base64 decoding skips
	// line breaks and ignores stray low bits, and ParseInt takes "+7".
	if !hmac.Equal([]byte(raw), []byte(s.encodeCursor(userID, cursor{Seq: seq}))) {
		return cursor{}, errCursor
	}
	return cursor{Seq: seq}, nil
}

type PullInput struct {
	Cursor    string `query:"cursor" maxLength:"200" doc:"opaque cursor of the previous answer; empty for a first pull, which answers a snapshot reset per patient and the cursor to follow from"`
	Limit     int    `query:"limit" minimum:"1" maximum:"1000" default:"500"`
	PatientID string `query:"patient_id" format:"uuid" doc:"snapshot: every current entity of one patient (after a reset with action snapshot); the cursor is returned unchanged"`
}

type ChangeOut struct {
	Entity    string `json:"entity" doc:"patient, team, record, visit, attachment, message (MessageOut without read_by)"`
	Op        string `json:"op" enum:"upsert,delete"`
	ID        string `json:"id"`
	PatientID string `json:"patient_id"`
	Data      any    `json:"data,omitempty"`
}

type Reset struct {
	PatientID string `json:"patient_id"`
	Action    string `json:"action" enum:"purge,snapshot" doc:"purge: delete everything of this patient from the device; snapshot: pull it with patient_id"`
}

// PullOutputBody is the answer of a pull, as the API description gives
// it; the pull writes it itself (appendPullJSON).
type PullOutputBody struct {
	Changes []ChangeOut `json:"changes"`
	Cursor  string      `json:"cursor"`
	HasMore bool        `json:"has_more"`
	Resets  []Reset     `json:"resets"`
}

type PullOutput struct {
	Body func(huma.Context)
}

// entityLoader puts the current form of entities of one patient as the
// caller may see them; ids it does not put are gone (or hidden).
type entityLoader func(ctx context.Context, tx *store.Tx, p *Principal, sc patientScope, patientID string, ids []string, put func(id string, v any)) error

// snapshotter lists the ids of every current entity of one kind of a patient.
type snapshotter func(ctx context.Context, tx *store.Tx, p *Principal, sc patientScope, patientID string) ([]string, error)

type entityKind struct {
	load     entityLoader
	snapshot snapshotter
	// patientOf finds the patient of an entity (ErrNotFound when it does
	// not exist), for decisions on one entity outside a pull: a resent
	// mutation's answer, a refusal's audit event.
	patientOf patientOfID
}

func (s *Server) pull(ctx context.Context, in *PullInput) (*PullOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	snapshot := in.PatientID != ""
	observe := s.opt.Pulls.Observe
	var queued func()
	if observe != nil {
		queued = func() { observe(*in, "queued") }
	}
	release, err := s.pulls.acquire(ctx, snapshot, queued)
	if err != nil {
		if observe != nil {
			observe(*in, "left")
		}
		return nil, err
	}
	defer release()
	if observe != nil {
		observe(*in, "admitted")
	}
	out := &PullOutputBody{Changes: []ChangeOut{}, Resets: []Reset{}}
	if snapshot {
		if err := s.snapshot(ctx, p, in, out); err != nil {
			return nil, err
		}
		return pullOutput(out), nil
	}
	var audited chan error
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		last, err := tx.LastChangeSeq(ctx)
		if err != nil {
			return err
		}
		cur, err := s.decodeCursor(p.User.ID, in.Cursor, last)
		if err != nil {
			return err
		}
		r, err := s.reachable(ctx, tx, p)
		if err != nil {
			return err
		}
		if in.Cursor == "" {
			// A new device starts from the present, not from the log's
			// beginning: one snapshot per patient it reaches, then changes.
			for _, pid := range r.all {
				out.Resets = append(out.Resets, Reset{PatientID: pid, Action: "snapshot"})
			}
			out.Cursor = s.encodeCursor(p.User.ID, cursor{Seq: last})
			return nil
		}
		if cur.Seq > 0 {
			touched, err := tx.AccessChangesSince(ctx, p.User.ID, cur.Seq)
			if err != nil {
				return err
			}
			for _, pid := range touched {
				if _, ok := r.scopes[pid]; ok {
					out.Resets = append(out.Resets, Reset{PatientID: pid, Action: "snapshot"})
				} else {
					out.Resets = append(out.Resets, Reset{PatientID: pid, Action: "purge"})
				}
			}
		}
		changes, err := tx.ChangesSince(ctx, cur.Seq, last, r.all, r.chart, p.Viewer, in.Limit+1)
		if err != nil {
			return err
		}
		next := cur.Seq
		if len(changes) > in.Limit {
			changes = changes[:in.Limit]
			out.HasMore = true
			next = changes[len(changes)-1].Seq
		} else if last > next {
			next = last
		}
		// The view of each patient in the page is recorded while the page
		// is read (its commit's flush overlaps the work); the data leaves
		// only once it is.
		events := s.pullEvents(ctx, p, changes)
		audited = make(chan error, 1)
		go func() {
			audited <- s.db.Write(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, events...) })
		}()
		out.Changes, err = s.materialise(ctx, tx, p, r.scopes, changes)
		if err != nil {
			return err
		}
		out.Cursor = s.encodeCursor(p.User.ID, cursor{Seq: next})
		return nil
	})
	if audited != nil {
		if aerr := <-audited; aerr != nil && err == nil {
			err = aerr
		}
	}
	if err != nil {
		return nil, err
	}
	return pullOutput(out), nil
}

// pullEvents makes one audit event per patient with a change in a pull's
// page: the patients whose change stream the device read.
func (s *Server) pullEvents(ctx context.Context, p *Principal, changes []store.Change) []*audit.Event {
	seen := map[string]bool{}
	var events []*audit.Event
	for _, c := range changes {
		if !seen[c.PatientID] {
			seen[c.PatientID] = true
			events = append(events, s.event(ctx, p, "sync.pull", c.PatientID, "patient", c.PatientID))
		}
	}
	return events
}

// materialise turns change rows into the entities' current form, one entry
// per entity (at the position of its newest change).
func (s *Server) materialise(ctx context.Context, tx *store.Tx, p *Principal, scopes map[string]patientScope, changes []store.Change) ([]ChangeOut, error) {
	type key struct{ entity, id string }
	lastIdx := make(map[key]int, len(changes))
	for i, c := range changes {
		lastIdx[key{c.Entity, c.EntityID}] = i
	}
	// Group ids per patient and entity so that each loader runs once per
	// group, in the order of their first change.
	type group struct{ patient, entity string }
	var groups []group
	ids := map[group][]string{}
	for i, c := range changes {
		if lastIdx[key{c.Entity, c.EntityID}] == i {
			g := group{c.PatientID, c.Entity}
			if _, ok := ids[g]; !ok {
				groups = append(groups, g)
			}
			ids[g] = append(ids[g], c.EntityID)
		}
	}
	data := make(map[key]any, len(lastIdx))
	for _, g := range groups {
		kind, ok := s.entities[g.entity]
		if !ok {
			continue
		}
		put := func(id string, v any) { data[key{g.entity, id}] = v }
		if err := kind.load(ctx, tx, p, scopes[g.patient], g.patient, ids[g], put); err != nil {
			return nil, fmt.Errorf("load %s: %w", g.entity, err)
		}
	}
	out := make([]ChangeOut, 0, len(lastIdx))
	for i, c := range changes {
		k := key{c.Entity, c.EntityID}
		if lastIdx[k] != i {
			continue
		}
		co := ChangeOut{Entity: c.Entity, ID: c.EntityID, PatientID: c.PatientID, Op: opUpsert}
		if v, ok := data[k]; ok {
			co.Data = v
		} else {
			co.Op = opDelete
		}
		out = append(out, co)
	}
	return out, nil
}

// snapshot answers a pull with patient_id: every current entity of that
// patient, for a device that just gained it (or lost its copy).
func (s *Server) snapshot(ctx context.Context, p *Principal, in *PullInput, out *PullOutputBody) error {
	return s.readPatient(ctx, p, "sync.snapshot", in.PatientID, "patient", in.PatientID, care.Registration, func(tx *store.Tx, sc patientScope) error {
		last, err := tx.LastChangeSeq(ctx)
		if err != nil {
			return err
		}
		cur, err := s.decodeCursor(p.User.ID, in.Cursor, last)
		if err != nil {
			return err
		}
		var changes []store.Change
		for _, name := range s.entityOrder {
			ids, err := s.entities[name].snapshot(ctx, tx, p, sc, in.PatientID)
			if err != nil {
				return err
			}
			for _, id := range ids {
				changes = append(changes, store.Change{PatientID: in.PatientID, Entity: name, EntityID: id})
			}
		}
		out.Changes, err = s.materialise(ctx, tx, p, map[string]patientScope{in.PatientID: sc}, changes)
		if err != nil {
			return err
		}
		if in.Cursor == "" {
			cur.Seq = last
		}
		out.Cursor = s.encodeCursor(p.User.ID, cur)
		return nil
	})
}

// registerEntity makes an entity kind pullable; order is the snapshot order.
func (s *Server) registerEntity(name string, k entityKind) {
	if s.entities == nil {
		s.entities = map[string]entityKind{}
	}
	s.entities[name] = k
	s.entityOrder = append(s.entityOrder, name)
}
