package api

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

type ListRecordsInput struct {
	ID         string    `path:"id" format:"uuid"`
	Kind       []string  `query:"kind" doc:"only these kinds (comma separated)"`
	Profession string    `query:"profession" doc:"only records by authors of this profession"`
	From       time.Time `query:"from" doc:"occurred at or after"`
	To         time.Time `query:"to" doc:"occurred before"`
	Before     string    `query:"before" maxLength:"200" doc:"the next cursor of the previous page"`
	Limit      int       `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// TimelineOutputBody is the timeline's answer as the API description
// gives it. listRecords writes it itself, from each record's JSON kept by
// store.RecordKey as the pull keeps it (pulljson.go): a page of records
// the server has written before then reads from the database only their
// keys and read states, not their versions, and encodes nothing by
// reflection.
type TimelineOutputBody struct {
	Records []RecordOut `json:"records"`
	Next    string      `json:"next,omitempty" doc:"cursor of the next (older) page; absent on the last page"`
}

type TimelineOutput struct {
	Body func(huma.Context)
}

// appendTimelineJSON appends the answer as encoding/json writes
// TimelineOutputBody (TestTimelineJSONIsEncodingJSON).
func appendTimelineJSON(buf []byte, records []encodedRecord, next string) []byte {
	buf = append(buf, `{"records":[`...)
	for i, r := range records {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = r.appendJSON(buf)
	}
	buf = append(buf, ']')
	if next != "" {
		buf = append(buf, `,"next":`...)
		buf = appendJSONText(buf, next)
	}
	return append(buf, "}\n"...)
}

// listRecords is a patient's timeline, newest first, in keyset pages.
// Records the caller does not read (chart kinds without chart access,
// chart records a facility does not disclose to the caller) are left out
// in SQL.
func (s *Server) listRecords(ctx context.Context, in *ListRecordsInput) (*TimelineOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	q := store.TimelineQuery{PatientID: in.ID, Profession: in.Profession, From: in.From, To: in.To, Limit: in.Limit + 1}
	for _, k := range in.Kind {
		for _, k := range strings.Split(k, ",") {
			if !care.Valid(care.RecordKinds, k) {
				return nil, care.Invalid("kind", "unknown record kind")
			}
			q.Kinds = append(q.Kinds, k)
		}
	}
	if in.Profession != "" && !care.Valid(care.Professions, in.Profession) {
		return nil, care.Invalid("profession", "unknown profession")
	}
	if in.Before != "" {
		k, ok := decodeCursor(in.Before)
		if !ok {
			return nil, care.Invalid("before", "not a cursor of this timeline")
		}
		q.Before = &k
	}
	var records []encodedRecord
	var next string
	err = s.readPatient(ctx, pr, "record.list", in.ID, "record", "", care.Shared, func(tx *store.Tx, sc patientScope) error {
		q.Scope = care.RecordScopeFor(pr.Viewer, sc.Level)
		// The records whose JSON is kept are not read again; what the
		// cache holds is taken as the page asks, so that a generation
		// dropped meanwhile loses nothing.
		heads := map[store.RecordKey][]byte{}
		q.Skip = func(k store.RecordKey) bool {
			b, ok := s.encoded.Get(k)
			if ok {
				heads[k] = b
			}
			return ok
		}
		items, err := tx.Timeline(ctx, q)
		if err != nil {
			return err
		}
		if len(items) > in.Limit {
			items = items[:in.Limit]
			last := items[len(items)-1]
			next = encodeCursor(store.TimelineKey{OccurredAt: last.OccurredAt, ID: last.ID})
		}
		records = make([]encodedRecord, len(items))
		for i, it := range items {
			if it.Skipped {
				records[i] = encodedRecord{head: heads[it.Key()], readCount: it.ReadCount, readByMe: it.ReadByMe}
			} else {
				records[i] = s.pullRecord(it)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	buf := appendTimelineJSON(make([]byte, 0, 1024*(len(records)+1)), records, next)
	return &TimelineOutput{Body: func(ctx huma.Context) { writeJSON(ctx, buf) }}, nil
}

// The cursor is opaque to clients: base64url of "t1.<unix µs>.<id>".
func encodeCursor(k store.TimelineKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte("t1." + strconv.FormatInt(k.OccurredAt.UnixMicro(), 10) + "." + k.ID))
}

func decodeCursor(s string) (store.TimelineKey, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.TimelineKey{}, false
	}
	parts := strings.SplitN(string(b), ".", 3)
	if len(parts) != 3 || parts[0] != "t1" {
		return store.TimelineKey{}, false
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return store.TimelineKey{}, false
	}
	if _, err := uuid.Parse(parts[2]); err != nil {
		return store.TimelineKey{}, false
	}
	return store.TimelineKey{OccurredAt: time.UnixMicro(us).UTC(), ID: parts[2]}, true
}

type UnreadOutput struct {
	Body struct {
		Patients []UnreadOut `json:"patients"`
	}
}

type UnreadOut struct {
	PatientID string `json:"patient_id" format:"uuid"`
	Unread    int    `json:"unread" doc:"records by others, written since the caller joined the team, that the caller has not marked read"`
	Messages  int    `json:"messages" doc:"team channel messages by others, written since the caller joined the team and not retracted, after the caller's read pointer"`
	Mentions  int    `json:"mentions" doc:"of those messages, the ones that mention the caller"`
}

// unread counts, for every patient the caller reaches, the records by
// others they have not read, at the caller's level (no chart kinds for
// non-clinical members). Each patient listed is an audited view.
func (s *Server) unread(ctx context.Context, _ *struct{}) (*UnreadOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &UnreadOutput{}
	out.Body.Patients = []UnreadOut{}
	// Counted in a read transaction, the audit events written after it
	// (before the answer), as the digest does: counting in the write
	// transaction held every writer of the server for the count's length.
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := s.caseloadLevels(ctx, tx, pr)
		if err != nil {
			return err
		}
		counts, err := tx.UnreadCounts(ctx, pr.Viewer, c.chart, c.shared)
		if err != nil {
			return err
		}
		msgs, err := tx.MessageUnreadCounts(ctx, pr.User.ID, c.order)
		if err != nil {
			return err
		}
		for _, id := range c.order {
			out.Body.Patients = append(out.Body.Patients, UnreadOut{PatientID: id, Unread: counts[id], Messages: msgs[id].Messages, Mentions: msgs[id].Mentions})
		}
		return nil
	})
	if err != nil || len(out.Body.Patients) == 0 {
		return out, err
	}
	events := make([]*audit.Event, 0, len(out.Body.Patients))
	for _, p := range out.Body.Patients {
		events = append(events, s.event(ctx, pr, "record.unread", p.PatientID, "record", ""))
	}
	if err := s.auditAfterRead(ctx, events); err != nil {
		return nil, err
	}
	return out, nil
}

// caseload is the caller's patients split by the level the caller
// reaches them at (care.PatientAccess); those reached below Shared are
// left out.
type caseload struct {
	chart, shared []string
	order         []string // both, in caseload order (kana)
}

// caseloadLevels decides the caller's caseload patient by patient, like
// withPatient does for one.
func (s *Server) caseloadLevels(ctx context.Context, tx *store.Tx, pr *Principal) (caseload, error) {
	var c caseload
	entries, err := tx.Reaches(ctx, pr.User.ID, pr.Viewer.FacilityID)
	if err != nil {
		return c, err
	}
	for _, e := range entries {
		facts := care.PatientFacts{Exists: true, PatientFacilityID: e.FacilityID, OnTeam: e.TeamRole != "", TeamRole: e.TeamRole,
			ConsentActive: e.ConsentScope != "", ConsentScope: e.ConsentScope}
		switch care.PatientAccess(s.opt.Care, pr.Viewer, facts) {
		case care.Chart:
			c.chart = append(c.chart, e.ID)
		case care.Shared:
			c.shared = append(c.shared, e.ID)
		default:
			continue
		}
		c.order = append(c.order, e.ID)
	}
	return c, nil
}

type ConfirmationsInput struct {
	Before string `query:"before" maxLength:"200" doc:"the next cursor of the previous page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type ConfirmationsOutput struct {
	Body struct {
		Records []RecordOut `json:"records" doc:"records awaiting the caller's confirmation, newest first (occurred_at, id)"`
		Next    string      `json:"next,omitempty" doc:"cursor of the next (older) page; absent on the last page"`
	}
}

// listConfirmations lists the records awaiting the caller's confirmation
// (確定待ち) across their patients, newest first in keyset pages like the
// timeline: the records the caller is the author of whose current version
// someone else entered, on their behalf (代行入力) or as an amendment, and
// that the caller has not confirmed. Only records the caller reads now are
// listed: a patient they left, or a chart record they no longer have chart
// rights for, drops out. Each patient on the page is an audited view,
// written before the answer.
func (s *Server) listConfirmations(ctx context.Context, in *ConfirmationsInput) (*ConfirmationsOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	q := store.AwaitingQuery{Author: pr.Viewer, Limit: in.Limit + 1}
	if in.Before != "" {
		k, ok := decodeCursor(in.Before)
		if !ok {
			return nil, care.Invalid("before", "not a cursor of this list")
		}
		q.Before = &k
	}
	var items []store.TimelineItem
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := s.caseloadLevels(ctx, tx, pr)
		if err != nil {
			return err
		}
		q.ChartPatients, q.SharedPatients = c.chart, c.shared
		items, err = tx.AwaitingConfirmation(ctx, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &ConfirmationsOutput{}
	out.Body.Records = []RecordOut{}
	if len(items) > in.Limit {
		items = items[:in.Limit]
		last := items[len(items)-1]
		out.Body.Next = encodeCursor(store.TimelineKey{OccurredAt: last.OccurredAt, ID: last.ID})
	}
	var events []*audit.Event
	seen := map[string]bool{}
	for _, it := range items {
		out.Body.Records = append(out.Body.Records, recordOut(it.Record, it.Current, it.ReadCount, it.ReadByMe))
		if !seen[it.PatientID] {
			seen[it.PatientID] = true
			events = append(events, s.event(ctx, pr, "record.awaiting_confirmation", it.PatientID, "record", ""))
		}
	}
	if len(events) > 0 {
		if err := s.auditAfterRead(ctx, events); err != nil {
			return nil, err
		}
	}
	return out, nil
}
