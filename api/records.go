package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// RecordOut is a record as it stands now: its current version's content,
// the flags of its vitals and the read state.
type RecordOut struct {
	ID               string     `json:"id" format:"uuid"`
	PatientID        string     `json:"patient_id" format:"uuid"`
	Kind             string     `json:"kind" enum:"nursing_visit,doctor_note,medication,care_note,note,document"`
	OccurredAt       time.Time  `json:"occurred_at"`
	VisitID          string     `json:"visit_id,omitempty" format:"uuid"`
	AuthorID         string     `json:"author_id" format:"uuid"`
	AuthorFacilityID string     `json:"author_facility_id" format:"uuid"`
	AuthorProfession string     `json:"author_profession" doc:"the author's profession when writing"`
	CreatedAt        time.Time  `json:"created_at"`
	Version          int64      `json:"version" doc:"the current version; base amendments on it"`
	Status           string     `json:"status" enum:"final,entered_in_error"`
	StaleParent      bool       `json:"stale_parent" doc:"the current version amended a version that was no longer current; reconcile"`
	UpdatedAt        time.Time  `json:"updated_at" doc:"when the current version was written"`
	EnteredBy        string     `json:"entered_by" format:"uuid" doc:"who entered the current version: the author, or someone who entered it on the author's behalf (代行入力) or amended the author's record"`
	ConfirmedBy      string     `json:"confirmed_by,omitempty" format:"uuid" doc:"the author, once they confirmed the current version (確定)"`
	ConfirmedAt      *time.Time `json:"confirmed_at,omitempty" doc:"when the author confirmed the current version"`
	// AwaitingConfirmation is what the author's app lists as "to confirm".
	AwaitingConfirmation bool `json:"awaiting_confirmation" doc:"someone other than the author entered the current version and the author has not confirmed it yet (POST /records/{id}/confirm)"`
	// SourceMessageID links a record made from a team channel message.
	SourceMessageID string `json:"source_message_id,omitempty" format:"uuid" doc:"the team channel message this record was made from"`
	care.RecordContent
	Flags     []care.Flag `json:"flags" doc:"abnormal but possible vitals"`
	ReadCount int         `json:"read_count" doc:"how many team members marked it read"`
	ReadByMe  bool        `json:"read_by_me"`
}

// VersionOut is one version in a record's history.
type VersionOut struct {
	Version             int64      `json:"version"`
	ParentVersion       int64      `json:"parent_version,omitempty" doc:"the version this amendment was based on"`
	StaleParent         bool       `json:"stale_parent"`
	Status              string     `json:"status" enum:"final,entered_in_error"`
	Reason              string     `json:"reason,omitempty" doc:"why it was amended"`
	EnteredBy           string     `json:"entered_by" format:"uuid"`
	EnteredByName       string     `json:"entered_by_name"`
	EnteredByProfession string     `json:"entered_by_profession"`
	ConfirmedBy         string     `json:"confirmed_by,omitempty" format:"uuid" doc:"the author who confirmed this version (確定者); absent while unconfirmed"`
	ConfirmedByName     string     `json:"confirmed_by_name,omitempty"`
	ConfirmedAt         *time.Time `json:"confirmed_at,omitempty" doc:"when the author confirmed this version"`
	NeedsConfirmation   bool       `json:"needs_confirmation" doc:"someone other than the author entered this version, so it needs the author's confirmation; confirmed_by tells whether it has it"`
	CreatedAt           time.Time  `json:"created_at"`
	care.RecordContent
	Flags []care.Flag `json:"flags"`
}

// ReaderOut is one read receipt (既読).
type ReaderOut struct {
	UserID     string    `json:"user_id" format:"uuid"`
	Name       string    `json:"name"`
	Profession string    `json:"profession"`
	ReadAt     time.Time `json:"read_at"`
}

// RecordDetail is a record with every version and who read it.
type RecordDetail struct {
	RecordOut
	Versions []VersionOut `json:"versions" doc:"every version, oldest first"`
	ReadBy   []ReaderOut  `json:"read_by"`
}

func flagsOf(c care.RecordContent) []care.Flag {
	if c.Vitals == nil {
		return []care.Flag{}
	}
	return c.Vitals.Flags()
}

func outContent(c care.RecordContent) care.RecordContent {
	if c.AttachmentIDs == nil {
		c.AttachmentIDs = []string{}
	}
	return c
}

func recordOut(r store.Record, cur store.RecordVersion, readCount int, readByMe bool) RecordOut {
	return RecordOut{ID: r.ID, PatientID: r.PatientID, Kind: r.Kind, OccurredAt: r.OccurredAt, VisitID: r.VisitID.String, AuthorID: r.AuthorID,
		AuthorFacilityID: r.AuthorFacilityID, AuthorProfession: r.AuthorProfession, CreatedAt: r.CreatedAt, Version: cur.Version,
		Status: cur.Status, StaleParent: cur.StaleParent, UpdatedAt: cur.CreatedAt, EnteredBy: cur.EnteredBy,
		ConfirmedBy: cur.ConfirmedBy, ConfirmedAt: timeOrNil(cur.ConfirmedAt),
		AwaitingConfirmation: care.NeedsConfirmation(r.AuthorID, cur.EnteredBy) && cur.ConfirmedBy == "", SourceMessageID: r.SourceMessageID.String,
		RecordContent: outContent(cur.Content), Flags: flagsOf(cur.Content), ReadCount: readCount, ReadByMe: readByMe}
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// recordDetail reads record id with its history and readers inside tx.
func (s *Server) recordDetail(ctx context.Context, tx *store.Tx, pr *Principal, id string) (RecordDetail, error) {
	r, err := tx.Record(ctx, id)
	if err != nil {
		return RecordDetail{}, err
	}
	vs, err := tx.RecordVersions(ctx, id)
	if err != nil {
		return RecordDetail{}, err
	}
	readers, err := tx.RecordReaders(ctx, id)
	if err != nil {
		return RecordDetail{}, err
	}
	return detailOf(r, vs, readers, pr), nil
}

// detailOf is a record with its versions (oldest first) and readers as pr
// sees it.
func detailOf(r store.Record, vs []store.RecordVersion, readers []store.Reader, pr *Principal) RecordDetail {
	d := RecordDetail{Versions: make([]VersionOut, 0, len(vs)), ReadBy: make([]ReaderOut, 0, len(readers))}
	mine := false
	for _, rd := range readers {
		mine = mine || rd.UserID == pr.User.ID
		d.ReadBy = append(d.ReadBy, ReaderOut{UserID: rd.UserID, Name: rd.Name, Profession: rd.Profession, ReadAt: rd.ReadAt})
	}
	var cur store.RecordVersion
	for _, v := range vs {
		if v.Version == r.CurrentVersion {
			cur = v
		}
		d.Versions = append(d.Versions, VersionOut{Version: v.Version, ParentVersion: v.ParentVersion, StaleParent: v.StaleParent, Status: v.Status,
			Reason: v.Reason, EnteredBy: v.EnteredBy, EnteredByName: v.EnteredByName, EnteredByProfession: v.EnteredByProfession,
			ConfirmedBy: v.ConfirmedBy, ConfirmedByName: v.ConfirmedByName, ConfirmedAt: timeOrNil(v.ConfirmedAt),
			NeedsConfirmation: care.NeedsConfirmation(r.AuthorID, v.EnteredBy), CreatedAt: v.CreatedAt,
			RecordContent: outContent(v.Content), Flags: flagsOf(v.Content)})
	}
	d.RecordOut = recordOut(r, cur, len(readers), mine)
	return d
}

// withRecord runs fn for record id after the access decision on its
// patient at the level its kind needs, and on the record itself
// (care.RecordScope: a chart record that its author's facility does not
// disclose to the caller). The record's patient, kind and author never
// change, so looking them up first is safe. An unknown record is refused
// exactly like a record the caller cannot reach, and every refusal is
// audited.
func (s *Server) withRecord(ctx context.Context, pr *Principal, action, id string, fn func(tx *store.Tx, sc patientScope, r store.Record) error) error {
	var r store.Record
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		r, err = tx.Record(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	need := care.Shared
	if r.ID != "" {
		need = care.RecordLevel(r.Kind)
	}
	// An unknown record has no patient: the access decision on "" is None.
	hidden := false
	err = s.withPatient(ctx, pr, action, r.PatientID, "record", id, need, false, func(tx *store.Tx, sc patientScope) error {
		facts, err := recordFacts(ctx, tx, r, sc.Level)
		if err != nil {
			return err
		}
		if !care.RecordScopeFor(pr.Viewer, sc.Level).Reads(facts) {
			hidden = true
			return care.ErrNotFound
		}
		return fn(tx, sc, r)
	})
	if hidden {
		return s.denied(ctx, pr, action, r.PatientID, "record", id, err)
	}
	return err
}

// recordFacts are what care.RecordScope needs to know of record r. The
// disclosure of the author's facility matters only to a reader at the
// Chart level of a chart record, so it is looked up only then.
func recordFacts(ctx context.Context, tx *store.Tx, r store.Record, lvl care.Level) (care.RecordFacts, error) {
	f := care.RecordFacts{Chart: r.Chart, AuthorID: r.AuthorID, AuthorFacilityID: r.AuthorFacilityID}
	if r.Chart && lvl == care.Chart {
		fac, err := tx.Facility(ctx, r.AuthorFacilityID)
		if err != nil {
			return f, fmt.Errorf("author's facility: %w", err)
		}
		f.AuthorDisclosure = fac.Disclosure
	}
	return f, nil
}

type CreateRecordInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		RecordID        string    `json:"id" format:"uuid" doc:"client-generated UUIDv7; sending the same id and body again answers the same"`
		Kind            string    `json:"kind" enum:"nursing_visit,doctor_note,medication,care_note,note,document" doc:"the first three are chart content (clinical professions only)"`
		OccurredAt      time.Time `json:"occurred_at" doc:"when the care happened"`
		VisitID         string    `json:"visit_id,omitempty" format:"uuid" doc:"the calendar visit this record belongs to"`
		SourceMessageID string    `json:"source_message_id,omitempty" format:"uuid" doc:"a message of this patient's team channel the record is made from (e.g. a doctor's instruction given there); the message lists the record in its record_ids"`
		OnBehalfOf      string    `json:"on_behalf_of,omitempty" format:"uuid" doc:"代行入力: the team member this record is entered for. They become its author and confirm it (POST /records/{id}/confirm). They must work at the caller's facility, have an active account and reach the patient at the level the kind needs; the caller needs that level too"`
		care.RecordContent
	}
}

type RecordCreatedOutput struct {
	Status int
	Body   RecordDetail
}

// createRecord writes version 1 of a record. A retry with the same id and
// the same body (an offline client that did not hear the answer) answers
// the stored record with 200; a different body for a known id is 409.
func (s *Server) createRecord(ctx context.Context, in *CreateRecordInput) (*RecordCreatedOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	now := s.now()
	b.OccurredAt = deviceTime(ctx, b.OccurredAt)
	if u, err := uuid.Parse(b.RecordID); err != nil || u.Version() != 7 {
		return nil, care.Invalid("id", "must be a UUIDv7")
	}
	if b.OccurredAt.After(now.Add(time.Hour)) || b.OccurredAt.Year() < 2000 {
		return nil, care.Invalid("occurred_at", "must not be in the future")
	}
	c := b.RecordContent
	c.Normalize(b.Kind)
	if err := care.ValidateRecord(b.Kind, c); err != nil {
		return nil, err
	}
	occurred := store.UTC(b.OccurredAt)
	onBehalf := b.OnBehalfOf
	if onBehalf == pr.User.ID {
		onBehalf = "" // entering for oneself is plain entering
	}
	authorID := pr.User.ID
	if onBehalf != "" {
		authorID = onBehalf
	}
	hash := requestHash(in.ID, b.Kind, occurred, b.VisitID, c, onBehalf, pr.User.ID)
	if b.SourceMessageID != "" { // bound too; a plain record's hash is unchanged
		sum := sha256.Sum256([]byte(hash + "\x00source_message_id=" + b.SourceMessageID))
		hash = hex.EncodeToString(sum[:])
	}
	out := &RecordCreatedOutput{Status: 201}
	err = s.withPatient(ctx, pr, "record.create", in.ID, "record", b.RecordID, care.RecordLevel(b.Kind), false, func(tx *store.Tx, _ patientScope) error {
		old, err := tx.Record(ctx, b.RecordID)
		switch {
		case err == nil && old.PatientID != in.ID:
			return store.ErrIDTaken // another patient's record: say nothing of it
		case err == nil:
			if old.RequestHash != hash || old.AuthorID != authorID {
				return care.Errorf(care.CodeConflict, "record %s exists with another body", b.RecordID)
			}
			out.Status = 200
		case errors.Is(err, store.ErrNotFound):
			author := pr.Viewer
			if onBehalf != "" {
				if author, err = s.proxyAuthor(ctx, tx, pr, in.ID, b.Kind, onBehalf); err != nil {
					return err
				}
			}
			// The visit and the attachments it names are this patient's,
			// and the caller reads every photo it cites.
			if err := checkPatientRefs(ctx, tx, in.ID, b); err != nil {
				return err
			}
			if err := s.citedAttachments(ctx, tx, pr, in.ID, c.AttachmentIDs); err != nil {
				return err
			}
			r := store.Record{ID: b.RecordID, PatientID: in.ID, Kind: b.Kind, Chart: care.RecordLevel(b.Kind) == care.Chart, AuthorID: author.UserID,
				AuthorFacilityID: author.FacilityID, AuthorProfession: author.Profession, VisitID: nullString(b.VisitID),
				OccurredAt: occurred, CreatedAt: now, RequestHash: hash, SourceMessageID: nullString(b.SourceMessageID)}
			v := store.RecordVersion{RecordID: r.ID, Version: 1, Status: care.RecordFinal, Content: c, EnteredBy: pr.User.ID, CreatedAt: now}
			if err := tx.CreateRecord(ctx, r, v); err != nil {
				return err
			}
			a, err := s.recordChanged(ctx, tx, r)
			if err != nil {
				return err
			}
			if r.SourceMessageID.Valid { // the message's record_ids gained it
				if err := s.changed(ctx, tx, store.Change{PatientID: r.PatientID, Entity: "message", EntityID: r.SourceMessageID.String}); err != nil {
					return err
				}
			}
			// Those who read it hear of it on their lock screens; an
			// author it was entered for, that it awaits confirmation.
			if err := s.notifyRecord(ctx, tx, r, pr.User.ID, true, a); err != nil {
				return err
			}
			// The answer is what was just written, as a read would give it
			// (a retry reads it back; TestCreateRecord and
			// TestEnteredOnBehalfAndConfirmed compare the two byte for byte).
			r.CurrentVersion, r.CreatedAt, v.CreatedAt = v.Version, store.UTC(now), store.UTC(now)
			v.EnteredByName, v.EnteredByProfession = pr.User.Name, pr.User.Profession
			out.Body = detailOf(r, []store.RecordVersion{v}, nil, pr)
		default:
			return err
		}
		if out.Status == 200 {
			if out.Body, err = s.recordDetail(ctx, tx, pr, b.RecordID); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "record.create", in.ID, "record", b.RecordID))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// requestHash identifies a create request by everything it says. An entry
// on someone's behalf also binds the author and the one entering (the hash
// of a plain entry is the same as before 代行入力 existed).
func requestHash(patientID, kind string, occurred time.Time, visitID string, c care.RecordContent, onBehalf, enteredBy string) string {
	b, _ := json.Marshal(struct {
		PatientID, Kind, OccurredAt, VisitID string
		Content                              care.RecordContent
	}{patientID, kind, occurred.Format(time.RFC3339Nano), visitID, c})
	if onBehalf != "" {
		b = append(b, "\x00on_behalf_of="+onBehalf+"\x00entered_by="+enteredBy...)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// proxyAuthor is the author a record is entered for (代行入力), after
// care.CanEnterOnBehalf: a user of the caller's facility, active, who
// reaches the patient at the level the kind needs.
func (s *Server) proxyAuthor(ctx context.Context, tx *store.Tx, pr *Principal, patientID, kind, authorID string) (care.Viewer, error) {
	u, err := tx.User(ctx, authorID)
	if errors.Is(err, store.ErrNotFound) {
		return care.Viewer{}, care.CanEnterOnBehalf(pr.Viewer, care.Viewer{}, false, care.None, kind)
	}
	if err != nil {
		return care.Viewer{}, err
	}
	facts, err := tx.PatientFacts(ctx, patientID, u.ID)
	if err != nil {
		return care.Viewer{}, err
	}
	a := viewerOf(u)
	return a, care.CanEnterOnBehalf(pr.Viewer, a, u.Status == care.StatusActive, care.PatientAccess(s.opt.Care, a, facts), kind)
}

type RecordIDInput struct {
	ID string `path:"id" format:"uuid"`
}

type RecordOutput struct{ Body RecordDetail }

// getRecord returns a record with every version and its readers.
func (s *Server) getRecord(ctx context.Context, in *RecordIDInput) (*RecordOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &RecordOutput{}
	err = s.withRecord(ctx, pr, "record.read", in.ID, func(tx *store.Tx, _ patientScope, r store.Record) error {
		if out.Body, err = s.recordDetail(ctx, tx, pr, in.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "record.read", r.PatientID, "record", in.ID))
	})
	return out, err
}

type AmendRecordInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		Reason        string             `json:"reason" minLength:"1" maxLength:"1000" doc:"why the record changes (訂正理由)"`
		BaseVersion   int64              `json:"base_version" minimum:"1" doc:"the version the amendment is based on; a stale one is kept and flagged"`
		Status        string             `json:"status,omitempty" enum:"final,entered_in_error" doc:"entered_in_error marks a mistaken record; it stays in the history"`
		Text          *string            `json:"text,omitempty"`
		Fields        *care.RecordFields `json:"fields,omitempty" doc:"replaces the kind's fields as a whole"`
		Vitals        *care.Vitals       `json:"vitals,omitempty" doc:"replaces the vitals as a whole"`
		AttachmentIDs []string           `json:"attachment_ids,omitempty" doc:"replaces the attachments as a whole"`
		NextVisitOn   *string            `json:"next_visit_on,omitempty"`
		PlanChanged   *bool              `json:"plan_changed,omitempty"`
		CareNotes     *string            `json:"care_notes,omitempty"`
	}
}

// amendRecord adds a version. Its content is the base version with the
// given parts replaced. A base that is no longer current is still kept (an
// offline amendment must not be lost) and flagged stale_parent for the
// author to reconcile. The author may amend; so may any clinical team
// member for chart kinds.
func (s *Server) amendRecord(ctx context.Context, in *AmendRecordInput) (*RecordOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	if err := care.ValidateReason(strings.TrimSpace(b.Reason)); err != nil {
		return nil, err
	}
	now := s.now()
	out := &RecordOutput{}
	err = s.withRecord(ctx, pr, "record.amend", in.ID, func(tx *store.Tx, sc patientScope, r store.Record) error {
		if r.AuthorID != pr.User.ID && !(r.Chart && sc.Level == care.Chart) {
			return care.Errorf(care.CodeForbidden, "only the author amends a shared record")
		}
		// The current version as of this transaction: the pointer update
		// below succeeds only if no other amendment commits first.
		r, err := tx.Record(ctx, r.ID)
		if err != nil {
			return err
		}
		vs, err := tx.RecordVersions(ctx, r.ID)
		if err != nil {
			return err
		}
		if b.BaseVersion > int64(len(vs)) {
			return care.Invalid("base_version", "record has %d versions", len(vs))
		}
		base := vs[b.BaseVersion-1]
		c := base.Content
		if b.Text != nil {
			c.Text = *b.Text
		}
		if b.Fields != nil {
			c.Fields = *b.Fields
		}
		if b.Vitals != nil {
			c.Vitals = b.Vitals
		}
		if b.AttachmentIDs != nil {
			c.AttachmentIDs = b.AttachmentIDs
		}
		if b.NextVisitOn != nil {
			c.NextVisitOn = *b.NextVisitOn
		}
		if b.PlanChanged != nil {
			c.PlanChanged = *b.PlanChanged
		}
		if b.CareNotes != nil {
			c.CareNotes = *b.CareNotes
		}
		c.Normalize(r.Kind)
		if err := care.ValidateRecord(r.Kind, c); err != nil {
			return err
		}
		if err := checkPatientRefs(ctx, tx, r.PatientID, b); err != nil {
			return err
		}
		if err := s.citedAttachments(ctx, tx, pr, r.PatientID, c.AttachmentIDs); err != nil {
			return err
		}
		status := base.Status
		if b.Status != "" {
			status = b.Status
		}
		v := store.RecordVersion{RecordID: r.ID, Version: r.CurrentVersion + 1, ParentVersion: b.BaseVersion, StaleParent: b.BaseVersion != r.CurrentVersion,
			Status: status, Reason: strings.TrimSpace(b.Reason), Content: c, EnteredBy: pr.User.ID, CreatedAt: now}
		if err := tx.AddRecordVersion(ctx, v); err != nil {
			return err
		}
		a, err := s.recordChanged(ctx, tx, r)
		if err != nil {
			return err
		}
		// An amendment of someone else's record awaits their confirmation.
		if err := s.notifyRecord(ctx, tx, r, pr.User.ID, false, a); err != nil {
			return err
		}
		if out.Body, err = s.recordDetail(ctx, tx, pr, r.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "record.amend", r.PatientID, "record", r.ID))
	})
	return out, err
}

type MarkReadOutput struct {
	Body struct {
		RecordID string    `json:"record_id" format:"uuid"`
		ReadAt   time.Time `json:"read_at" doc:"when the caller first read it"`
	}
}

// markRecordRead records the caller's read receipt; marking again keeps
// the first time.
func (s *Server) markRecordRead(ctx context.Context, in *RecordIDInput) (*MarkReadOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &MarkReadOutput{}
	err = s.withRecord(ctx, pr, "record.mark_read", in.ID, func(tx *store.Tx, _ patientScope, r store.Record) error {
		first, err := tx.MarkRecordRead(ctx, r.ID, pr.User.ID, s.now())
		if err != nil {
			return err
		}
		if first { // the author sees who has read it (既読)
			if _, err := s.recordChanged(ctx, tx, r); err != nil {
				return err
			}
		}
		readers, err := tx.RecordReaders(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, rd := range readers {
			if rd.UserID == pr.User.ID {
				out.Body.ReadAt = rd.ReadAt
			}
		}
		out.Body.RecordID = r.ID
		return audit.Append(ctx, tx, s.event(ctx, pr, "record.mark_read", r.PatientID, "record", r.ID))
	})
	return out, err
}

type ConfirmRecordInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		Version int64 `json:"version" minimum:"1" doc:"the version being confirmed; it must still be the current version, or the answer is 409 conflict with the current record in the problem's current field"`
	}
}

// confirmRecord is the author's confirmation (確定) of a version someone
// else entered: on their behalf (代行入力), or as an amendment of their
// record. Only the author confirms (care.Confirm), and only the current
// version: a version replaced since the author looked is a 409 conflict
// carrying the current record. Confirming a confirmed version again
// answers the record unchanged. The stamp, its change row and its audit
// event commit together.
func (s *Server) confirmRecord(ctx context.Context, in *ConfirmRecordInput) (*RecordOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &RecordOutput{}
	err = s.withRecord(ctx, pr, "record.confirm", in.ID, func(tx *store.Tx, _ patientScope, r store.Record) error {
		// The current version as of this transaction.
		r, err := tx.Record(ctx, r.ID)
		if err != nil {
			return err
		}
		vs, err := tx.RecordVersions(ctx, r.ID)
		if err != nil {
			return err
		}
		var v care.VersionFacts
		if in.Body.Version <= int64(len(vs)) {
			got := vs[in.Body.Version-1]
			v = care.VersionFacts{Version: got.Version, EnteredBy: got.EnteredBy, ConfirmedBy: got.ConfirmedBy}
		} else if pr.User.ID == r.AuthorID {
			return care.Invalid("version", "record has %d versions", len(vs))
		}
		stamp, err := care.Confirm(pr.User.ID, care.RecordFacts{Chart: r.Chart, AuthorID: r.AuthorID, AuthorFacilityID: r.AuthorFacilityID}, r.CurrentVersion, v)
		if stamp {
			err = tx.ConfirmRecordVersion(ctx, r.ID, v.Version, pr.User.ID, now)
		}
		if errors.Is(err, care.ErrConflict) {
			cur, derr := s.recordDetail(ctx, tx, pr, r.ID)
			if derr != nil {
				return derr
			}
			return &conflictWith{err: care.Errorf(care.CodeConflict, "confirm version %d of %d: %v", in.Body.Version, r.CurrentVersion, err), current: cur}
		}
		if err != nil {
			return err
		}
		if stamp {
			if _, err := s.recordChanged(ctx, tx, r); err != nil {
				return err
			}
		}
		if out.Body, err = s.recordDetail(ctx, tx, pr, r.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "record.confirm", r.PatientID, "record", r.ID))
	})
	return out, err
}

// citedAttachments checks that every attachment a record cites was uploaded
// for the same patient and that the caller reads it (mayCite): the app
// uploads photos before the record citing them, so a missing one is a
// client error, not a race.
func (s *Server) citedAttachments(ctx context.Context, tx *store.Tx, pr *Principal, patientID string, ids []string) error {
	for i, id := range ids {
		ok, err := s.mayCite(ctx, tx, pr, patientID, id)
		if err != nil {
			return err
		}
		if !ok {
			return care.Invalid(fmt.Sprintf("attachment_ids[%d]", i), "no uploaded attachment of this patient has this id")
		}
	}
	return nil
}
