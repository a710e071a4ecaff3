package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

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

// decodeCursor checks the signature, the user and the schema version; any
// mismatch answers 410 so the app starts afresh.
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
	return cursor{Seq: seq}, nil
}

type PullInput struct {
	Cursor    string `query:"cursor" maxLength:"200" doc:"opaque cursor of the previous answer; empty for a first pull, which answers a snapshot reset per patient and the cursor to follow from"`
	Limit     int    `query:"limit" minimum:"1" maximum:"1000" default:"500"`
	PatientID string `query:"patient_id" format:"uuid" doc:"snapshot: every current entity of one patient (after a reset with action snapshot); the cursor is returned unchanged"`
}

type ChangeOut struct {
	Entity    string `json:"entity" doc:"patient, team, record, visit, attachment"`
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
}

func (s *Server) pull(ctx context.Context, in *PullInput) (*PullOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &PullOutputBody{Changes: []ChangeOut{}, Resets: []Reset{}}
	if in.PatientID != "" {
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
		scopes, err := s.reachable(ctx, tx, p)
		if err != nil {
			return err
		}
		if in.Cursor == "" {
			// A new device starts from the present, not from the log's
			// beginning: one snapshot per patient it reaches, then changes.
			ids := make([]string, 0, len(scopes))
			for pid := range scopes {
				ids = append(ids, pid)
			}
			sort.Strings(ids)
			for _, pid := range ids {
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
				if _, ok := scopes[pid]; ok {
					out.Resets = append(out.Resets, Reset{PatientID: pid, Action: "snapshot"})
				} else {
					out.Resets = append(out.Resets, Reset{PatientID: pid, Action: "purge"})
				}
			}
		}
		var all, chart []string
		for pid, sc := range scopes {
			all = append(all, pid)
			if sc.Level == care.Chart {
				chart = append(chart, pid)
			}
		}
		sort.Strings(all)
		changes, err := tx.ChangesSince(ctx, cur.Seq, all, chart, p.Viewer, in.Limit+1)
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
		out.Changes, err = s.materialise(ctx, tx, p, scopes, changes)
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

// reachable returns every patient the user reaches now, with the scope.
func (s *Server) reachable(ctx context.Context, tx *store.Tx, p *Principal) (map[string]patientScope, error) {
	entries, err := tx.Reaches(ctx, p.User.ID, p.Viewer.FacilityID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]patientScope, len(entries))
	for _, e := range entries {
		facts := care.PatientFacts{Exists: true, PatientFacilityID: e.FacilityID, OnTeam: e.TeamRole != "", TeamRole: e.TeamRole,
			ConsentActive: e.ConsentScope != "", ConsentScope: e.ConsentScope}
		lvl := care.PatientAccess(s.opt.Care, p.Viewer, facts)
		if lvl != care.None {
			out[e.ID] = patientScope{Facts: facts, Level: lvl, Manage: care.CanManage(p.Viewer, facts, lvl)}
		}
	}
	return out, nil
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

// --- push ---

type MutationIn struct {
	ID          string          `json:"id" format:"uuid" doc:"client UUIDv7 of the mutation; resending it returns the stored answer"`
	Seq         int64           `json:"seq" minimum:"1" doc:"per-device sequence number, without gaps"`
	Type        string          `json:"type" enum:"record.create,record.amend,record.read,record.confirm,visit.create,visit.update"`
	Args        json.RawMessage `json:"args" doc:"the REST body plus patient_id / record_id / visit_id"`
	BaseVersion *int64          `json:"base_version,omitempty"`
}

type PushInput struct {
	Body struct {
		DeviceID   string       `json:"device_id" format:"uuid"`
		DeviceTime *time.Time   `json:"device_time,omitempty" doc:"the device's clock when it sent this push. The server's clock is authoritative: when the two differ by more than a minute, the times the app took from its own clock (a record's occurred_at) are moved by the difference"`
		Mutations  []MutationIn `json:"mutations" maxItems:"500"`
	}
}

type MutationResult struct {
	ID      string   `json:"id"`
	Status  string   `json:"status" enum:"applied,duplicate,conflict,rejected,retry"`
	Entity  any      `json:"entity,omitempty" doc:"the entity after the mutation, or the current one on conflict"`
	Problem *Problem `json:"problem,omitempty"`
}

type PushOutput struct {
	Body struct {
		Results []MutationResult `json:"results"`
	}
}

// maxClockSkew is how far a device's clock may be off before the times it
// took from that clock are corrected: beyond network delays, well within
// what a wrong time zone or a flat clock battery does.
const maxClockSkew = time.Minute

type clockSkewKey struct{}

// deviceTime converts a time the app read from its own clock to server
// time, for a mutation of a push whose device clock was off (see
// PushInput's device_time). REST calls are made online and are not moved.
func deviceTime(ctx context.Context, t time.Time) time.Time {
	if skew, ok := ctx.Value(clockSkewKey{}).(time.Duration); ok {
		return t.Add(skew)
	}
	return t
}

// mutation applies one mutation type; ctx carries the transaction.
type mutation func(ctx context.Context, m MutationIn) (any, error)

// syncPush applies a device's mutations in seq order, each in its own
// savepoint inside one transaction together with its ledger row and the
// device's sequence number, so an answered mutation is never applied twice
// and a crash loses nothing that was answered.
func (s *Server) syncPush(ctx context.Context, in *PushInput) (*PushOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	ctx = withPrincipal(ctx, p)
	if in.Body.DeviceTime != nil {
		if skew := s.now().Sub(*in.Body.DeviceTime); skew > maxClockSkew || skew < -maxClockSkew {
			ctx = context.WithValue(ctx, clockSkewKey{}, skew)
		}
	}
	muts := append([]MutationIn(nil), in.Body.Mutations...)
	sort.SliceStable(muts, func(i, j int) bool { return muts[i].Seq < muts[j].Seq })
	results := map[string]MutationResult{}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		dev, err := s.device(ctx, tx, p, in.Body.DeviceID)
		if err != nil {
			return err
		}
		next := dev.LastSeq + 1
		for i, m := range muts {
			if i > 0 && muts[i-1].Seq == m.Seq {
				return care.Invalid("mutations", "two mutations with seq %d", m.Seq)
			}
			if prev, err := tx.Ledger(ctx, m.ID); err == nil {
				results[m.ID] = storedResult(prev)
				continue
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if m.Seq < next {
				prob := newProblem(ctx, care.CodeValidation, &huma.ErrorDetail{Location: "seq", Message: "sequence number already used by another mutation"})
				results[m.ID] = MutationResult{ID: m.ID, Status: "rejected", Problem: prob}
				continue
			}
			if m.Seq > next {
				return &care.Error{Code: care.CodeSequenceGap, Detail: fmt.Sprintf("expected seq %d, got %d", next, m.Seq)}
			}
			res, stop := s.applyMutation(ctx, tx, p, dev, m)
			if stop {
				results[m.ID] = res
				break
			}
			results[m.ID] = res
			next++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &PushOutput{}
	out.Body.Results = make([]MutationResult, 0, len(in.Body.Mutations))
	for _, m := range in.Body.Mutations {
		r, ok := results[m.ID]
		if !ok {
			r = MutationResult{ID: m.ID, Status: "retry"}
		}
		out.Body.Results = append(out.Body.Results, r)
	}
	return out, nil
}

// applyMutation runs one mutation in a savepoint and records its answer.
// stop is true when the mutation must be retried later: nothing after it
// may overtake it.
func (s *Server) applyMutation(ctx context.Context, tx *store.Tx, p *Principal, dev store.Device, m MutationIn) (res MutationResult, stop bool) {
	res = MutationResult{ID: m.ID}
	apply, ok := s.mutations[m.Type]
	var entity any
	err := tx.Savepoint(ctx, func() error {
		if !ok {
			return care.Invalid("type", "unknown mutation type %q", m.Type)
		}
		var err error
		entity, err = apply(store.WithTx(ctx, tx), m)
		return err
	})
	var conflict *conflictWith
	var ce *care.Error
	var se huma.StatusError
	switch {
	case err == nil:
		res.Status, res.Entity = "applied", entity
	case errors.As(err, &conflict):
		res.Status, res.Entity = "conflict", conflict.current
		res.Problem = newProblem(ctx, care.CodeConflict)
	case errors.As(err, &ce), errors.As(err, &se) && se.GetStatus() < 500:
		res.Status = "rejected"
		if perr, ok := s.problem(ctx, err).(*Problem); ok {
			res.Problem = perr
		} else {
			res.Problem = newProblem(ctx, care.CodeValidation)
		}
		// A refusal's own audit event went with the savepoint; keep one.
		if errors.Is(err, care.ErrNotFound) || errors.Is(err, care.ErrForbidden) || errors.Is(err, care.ErrChartForbidden) {
			pid, _ := idArg(m, "patient_id")
			e := s.event(ctx, p, "sync."+m.Type, pid, "mutation", m.ID)
			e.Result = audit.ResultDenied
			if aerr := audit.Append(ctx, tx, e); aerr != nil {
				return MutationResult{ID: m.ID, Status: "retry"}, true
			}
		}
	default:
		s.log.ErrorContext(ctx, "mutation failed", "request_id", requestID(ctx), "type", m.Type, "err", err)
		return MutationResult{ID: m.ID, Status: "retry"}, true
	}
	b, _ := json.Marshal(res)
	if err := tx.AppendLedger(ctx, store.LedgerEntry{ID: m.ID, DeviceID: dev.ID, Seq: m.Seq, Type: m.Type, Status: res.Status, Result: string(b), AppliedAt: s.now()}); err != nil {
		s.log.ErrorContext(ctx, "ledger write failed", "request_id", requestID(ctx), "err", err)
		return MutationResult{ID: m.ID, Status: "retry"}, true
	}
	if err := tx.SetDeviceSeq(ctx, dev.ID, m.Seq, s.now()); err != nil {
		return MutationResult{ID: m.ID, Status: "retry"}, true
	}
	return res, false
}

func storedResult(e store.LedgerEntry) MutationResult {
	var r MutationResult
	if err := json.Unmarshal([]byte(e.Result), &r); err != nil {
		return MutationResult{ID: e.ID, Status: "duplicate"}
	}
	r.Status = "duplicate"
	return r
}

// device returns the caller's device, registering it on first use. A device
// of another user, or a revoked one, is refused.
func (s *Server) device(ctx context.Context, tx *store.Tx, p *Principal, id string) (store.Device, error) {
	d, err := tx.Device(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		now := s.now()
		d = store.Device{ID: id, UserID: p.User.ID, Secret: newSecret(), SecretExpiresAt: now.Add(s.opt.DeviceSecretTTL), CreatedAt: now, LastSeenAt: now}
		if err := tx.CreateDevice(ctx, d); err != nil {
			return d, err
		}
		return d, nil
	}
	if err != nil {
		return d, err
	}
	if d.UserID != p.User.ID || d.RevokedAt.Valid {
		return d, &care.Error{Code: care.CodeDeviceRevoked}
	}
	return d, nil
}

// mutationFor adapts a REST handler to a sync mutation: build fills the
// handler's input from the mutation (path ids from args, body from args),
// the body is checked against the same schema huma enforces over HTTP, and
// the handler runs inside the mutation's transaction (carried by ctx).
func mutationFor[I, O any](h func(context.Context, *I) (*O, error), build func(m MutationIn, in *I) error, entity func(*O) any) mutation {
	// A ModelValidator keeps state while it validates: one per concurrent
	// mutation (on PostgreSQL mutations of different pushes run at once).
	validators := sync.Pool{New: func() any { return huma.NewModelValidator() }}
	bodyField, hasBody := reflect.TypeFor[I]().FieldByName("Body")
	return func(ctx context.Context, m MutationIn) (any, error) {
		in := new(I)
		if hasBody {
			var raw any
			if err := json.Unmarshal(m.Args, &raw); err != nil {
				return nil, care.Invalid("args", "args must be a JSON object")
			}
			if obj, ok := raw.(map[string]any); ok {
				// The mutation's base_version stands for the body's.
				if _, has := obj["base_version"]; !has && m.BaseVersion != nil && hasJSONField(bodyField.Type, "base_version") {
					obj["base_version"] = *m.BaseVersion
				}
				// The ids that REST carries in the path travel in args.
				for _, k := range []string{"patient_id", "record_id", "visit_id"} {
					if !hasJSONField(bodyField.Type, k) {
						delete(obj, k)
					}
				}
			}
			// The errors live in the validator: read them before it goes back.
			validator := validators.Get().(*huma.ModelValidator)
			errs := validator.Validate(bodyField.Type, raw)
			details := make([]*huma.ErrorDetail, 0, len(errs))
			for _, e := range errs {
				if d, ok := e.(huma.ErrorDetailer); ok {
					details = append(details, d.ErrorDetail())
				}
			}
			validators.Put(validator)
			if len(errs) > 0 {
				return nil, &validationError{details: details}
			}
			b, _ := json.Marshal(raw)
			body := reflect.ValueOf(in).Elem().FieldByName("Body")
			if err := json.Unmarshal(b, body.Addr().Interface()); err != nil {
				return nil, care.Invalid("args", "args do not match the operation")
			}
		}
		if err := build(m, in); err != nil {
			return nil, err
		}
		if err := checkText(in); err != nil {
			return nil, err
		}
		out, err := h(ctx, in)
		if err != nil {
			return nil, err
		}
		return entity(out), nil
	}
}

// hasJSONField reports whether struct type t (or a struct it embeds) has a
// field serialised as name.
func hasJSONField(t reflect.Type, name string) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && hasJSONField(f.Type, name) {
			return true
		}
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n == name {
			return true
		}
	}
	return false
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func newSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// validationError is a schema failure of mutation args, shown like huma's.
type validationError struct{ details []*huma.ErrorDetail }

func (e *validationError) Error() string  { return "validation failed" }
func (e *validationError) GetStatus() int { return 422 }

// idArg reads a UUID argument (patient_id, record_id, visit_id) of a mutation.
func idArg(m MutationIn, name string) (string, error) {
	var args map[string]any
	if err := json.Unmarshal(m.Args, &args); err != nil {
		return "", care.Invalid("args", "args must be a JSON object")
	}
	v, _ := args[name].(string)
	if !uuidPattern.MatchString(v) {
		return "", care.Invalid("args."+name, "%s must be a UUID", name)
	}
	return v, nil
}
