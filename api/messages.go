package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// The team channel (連絡): messages of one patient's team, read by every
// member at the shared level (care workers included) under the same
// consent and membership rule as shared records. Insert-only: a
// retraction is a status that keeps the text for its author.

// MessageEntity is a message as the pull sends it: Message without its
// readers.
type MessageEntity struct {
	ID            string     `json:"id" format:"uuid"`
	PatientID     string     `json:"patient_id" format:"uuid"`
	AuthorID      string     `json:"author_id" format:"uuid"`
	AuthorName    string     `json:"author_name"`
	Profession    string     `json:"profession" doc:"the author's profession when writing"`
	Text          string     `json:"text" doc:"empty for a retracted message, except to its author"`
	ReplyTo       string     `json:"reply_to,omitempty" format:"uuid" doc:"the message of the same channel this one answers"`
	Mentions      []string   `json:"mentions" doc:"user ids of the team members it mentions"`
	AttachmentIDs []string   `json:"attachment_ids" doc:"photos it shows (GET /attachments/{id}); empty for a retracted message, except to its author"`
	Urgent        bool       `json:"urgent"`
	Retracted     bool       `json:"retracted" doc:"retracted by its author (取り消し); the history is kept"`
	RetractedAt   *time.Time `json:"retracted_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at" doc:"when the server received it; the channel's order"`
	RecordIDs     []string   `json:"record_ids" doc:"records made from this message (source_message_id) that the caller reads"`
}

// MessageReadOut is one member's read receipt (既読) of a message.
type MessageReadOut struct {
	UserID string    `json:"user_id" format:"uuid"`
	ReadAt time.Time `json:"read_at" doc:"when their read pointer first reached the message"`
}

// MessageOut is a message with who has read it.
type MessageOut struct {
	MessageEntity
	ReadBy []MessageReadOut `json:"read_by" doc:"team members other than the author whose read pointer reached it"`
}

// messageEntity is m as viewer userID sees it: a retracted message keeps
// its text and photos for its author only.
func messageEntity(m store.Message, userID string, recordIDs []string) MessageEntity {
	e := MessageEntity{ID: m.ID, PatientID: m.PatientID, AuthorID: m.AuthorID, AuthorName: m.AuthorName, Profession: m.AuthorProfession,
		Text: m.Text, ReplyTo: m.ReplyTo.String, Mentions: m.Mentions, AttachmentIDs: m.AttachmentIDs, Urgent: m.Urgent,
		Retracted: m.RetractedAt.Valid, CreatedAt: m.CreatedAt.UTC(), RecordIDs: recordIDs}
	if e.Mentions == nil {
		e.Mentions = []string{}
	}
	if e.AttachmentIDs == nil {
		e.AttachmentIDs = []string{}
	}
	if e.RecordIDs == nil {
		e.RecordIDs = []string{}
	}
	if m.RetractedAt.Valid {
		t := m.RetractedAt.Time.UTC()
		e.RetractedAt = &t
		if m.AuthorID != userID {
			e.Text, e.AttachmentIDs = "", []string{}
		}
	}
	return e
}

// messagesOut makes the answer of ms for pr at level lvl of their patient:
// the records made from each that pr reads, and the readers of each from
// the read marks of the channel.
func (s *Server) messagesOut(ctx context.Context, tx *store.Tx, pr *Principal, lvl care.Level, ms []store.Message) ([]MessageOut, error) {
	out := make([]MessageOut, 0, len(ms))
	if len(ms) == 0 {
		return out, nil
	}
	ids := make([]string, len(ms))
	oldest := map[string]store.MessageKey{} // per patient
	for i, m := range ms {
		ids[i] = m.ID
		if o, ok := oldest[m.PatientID]; !ok || o.After(m.Key()) {
			oldest[m.PatientID] = m.Key()
		}
	}
	recs, err := tx.MessageRecordIDs(ctx, care.RecordScopeFor(pr.Viewer, lvl), ids)
	if err != nil {
		return nil, err
	}
	marks := map[string][]store.MessageReadMark{}
	for pid, k := range oldest {
		if marks[pid], err = tx.MessageReadMarks(ctx, pid, k); err != nil {
			return nil, err
		}
	}
	for _, m := range ms {
		o := MessageOut{MessageEntity: messageEntity(m, pr.User.ID, recs[m.ID]), ReadBy: []MessageReadOut{}}
		seen := map[string]bool{}
		// Marks run by read_at: a member's first mark at or past the
		// message is when they read it.
		for _, rd := range marks[m.PatientID] {
			if rd.UserID == m.AuthorID || seen[rd.UserID] || m.Key().After(rd.Key()) {
				continue
			}
			seen[rd.UserID] = true
			o.ReadBy = append(o.ReadBy, MessageReadOut{UserID: rd.UserID, ReadAt: rd.ReadAt})
		}
		out = append(out, o)
	}
	return out, nil
}

type CreateMessageInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		MessageID     string   `json:"id" format:"uuid" doc:"client-generated UUIDv7; sending the same id and body again answers the same"`
		Text          string   `json:"text" minLength:"1" maxLength:"2000"`
		ReplyTo       string   `json:"reply_to,omitempty" format:"uuid" doc:"a message of this patient's channel that this one answers"`
		Mentions      []string `json:"mentions,omitempty" maxItems:"50" doc:"user ids of current team members of this patient; they are told as mentioned (quiet hours let it through)"`
		AttachmentIDs []string `json:"attachment_ids,omitempty" maxItems:"10" doc:"photos of this patient that the caller uploaded and that no chart record or consent form cites: citing them makes them readable to the whole team"`
		Urgent        bool     `json:"urgent,omitempty" doc:"至急: every member is told, through their quiet hours"`
	}
}

type MessageCreatedOutput struct {
	Status int
	Body   MessageOut
}

// createMessage writes a message to a patient's channel and tells the
// team. A retry with the same id and body (an offline client that did not
// hear the answer) answers the stored message with 200; another body for
// a known id is 409.
func (s *Server) createMessage(ctx context.Context, in *CreateMessageInput) (*MessageCreatedOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	if u, err := uuid.Parse(b.MessageID); err != nil || u.Version() != 7 {
		return nil, care.Invalid("id", "must be a UUIDv7")
	}
	if strings.TrimSpace(b.Text) == "" {
		return nil, care.Invalid("text", "must not be blank")
	}
	mentions := slices.Clone(b.Mentions)
	for i, u := range mentions {
		if !uuidPattern.MatchString(u) {
			return nil, care.Invalid(fmt.Sprintf("mentions[%d]", i), "must be a user id")
		}
	}
	slices.Sort(mentions)
	mentions = slices.Compact(mentions)
	var atts []string
	for i, a := range b.AttachmentIDs {
		if !uuidPattern.MatchString(a) {
			return nil, care.Invalid(fmt.Sprintf("attachment_ids[%d]", i), "must be an attachment id")
		}
		if !slices.Contains(atts, a) {
			atts = append(atts, a)
		}
	}
	hash := messageHash(in.ID, pr.User.ID, b.Text, b.ReplyTo, mentions, atts, b.Urgent)
	now := s.now()
	out := &MessageCreatedOutput{Status: 201}
	err = s.withPatient(ctx, pr, "message.create", in.ID, "message", b.MessageID, care.Shared, false, func(tx *store.Tx, sc patientScope) error {
		old, err := tx.Message(ctx, b.MessageID)
		switch {
		case err == nil && old.PatientID != in.ID:
			return store.ErrIDTaken // another patient's message: say nothing of it
		case err == nil:
			if old.RequestHash != hash || old.AuthorID != pr.User.ID {
				return care.Errorf(care.CodeConflict, "message %s exists with another body", b.MessageID)
			}
			out.Status = 200
		case errors.Is(err, store.ErrNotFound):
			if err := checkPatientRefs(ctx, tx, in.ID, b); err != nil {
				return err
			}
			if err := s.messageAttachments(ctx, tx, pr, in.ID, atts); err != nil {
				return err
			}
			a, err := tx.MessageAudience(ctx, in.ID)
			if err != nil {
				return err
			}
			for i, u := range b.Mentions {
				if !a.Has(u) {
					return care.Invalid(fmt.Sprintf("mentions[%d]", i), "must be an active member of this patient's team")
				}
			}
			m := store.Message{ID: b.MessageID, PatientID: in.ID, AuthorID: pr.User.ID, AuthorName: pr.User.Name, AuthorProfession: pr.User.Profession,
				Text: b.Text, ReplyTo: nullString(b.ReplyTo), Urgent: b.Urgent, AttachmentIDs: atts, Mentions: mentions,
				CreatedAt: store.UTC(now), RequestHash: hash}
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			if err := s.changed(ctx, tx, store.Change{PatientID: in.ID, Entity: "message", EntityID: m.ID}); err != nil {
				return err
			}
			if err := s.notifyMessage(ctx, tx, m, a); err != nil {
				return err
			}
		default:
			return err
		}
		m, err := tx.Message(ctx, b.MessageID)
		if err != nil {
			return err
		}
		got, err := s.messagesOut(ctx, tx, pr, sc.Level, []store.Message{m})
		if err != nil {
			return err
		}
		out.Body = got[0]
		return audit.Append(ctx, tx, s.event(ctx, pr, "message.create", in.ID, "message", b.MessageID))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// messageHash identifies a create request by everything it says.
func messageHash(patientID, authorID, text, replyTo string, mentions, attachments []string, urgent bool) string {
	b, _ := json.Marshal(struct {
		PatientID, AuthorID, Text, ReplyTo string
		Mentions, Attachments              []string
		Urgent                             bool
	}{patientID, authorID, text, replyTo, mentions, attachments, urgent})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// messageAttachments checks the photos a message cites: each an
// attachment of this patient that the caller uploaded and reads, and that
// no chart record and no consent form cites. Citing one in the channel
// makes it readable to the whole team, care workers included, so a chart
// photo (or a signed consent form) must never get there.
func (s *Server) messageAttachments(ctx context.Context, tx *store.Tx, pr *Principal, patientID string, ids []string) error {
	for i, id := range ids {
		field := fmt.Sprintf("attachment_ids[%d]", i)
		a, err := tx.Attachment(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && a.PatientID != patientID) {
			return care.Invalid(field, "must name an entity of this patient")
		}
		if err != nil {
			return err
		}
		facts, err := tx.AttachmentFacts(ctx, a)
		if err != nil {
			return err
		}
		chart := facts.ConsentForm
		for _, r := range facts.Records {
			chart = chart || r.Chart
		}
		if a.UploadedBy != pr.User.ID || chart {
			return care.Invalid(field, "must be a photo the caller uploaded that no chart record or consent form cites")
		}
	}
	return nil
}

// withMessage runs fn for message id after the access decision on its
// patient at the shared level. An unknown message is refused exactly like
// one the caller cannot reach, and every refusal is audited.
func (s *Server) withMessage(ctx context.Context, pr *Principal, action, id string, fn func(tx *store.Tx, sc patientScope, m store.Message) error) error {
	var patientID string
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		patientID, err = tx.MessagePatientID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	// An unknown message has no patient: the access decision on "" is None.
	return s.withPatient(ctx, pr, action, patientID, "message", id, care.Shared, false, func(tx *store.Tx, sc patientScope) error {
		m, err := tx.Message(ctx, id)
		if err != nil {
			return err
		}
		return fn(tx, sc, m)
	})
}

type MessageIDInput struct {
	ID string `path:"id" format:"uuid"`
}

type MessageOutput struct{ Body MessageOut }

// retractMessage marks a message retracted by its author (only its
// author: another member gets 403). The text is kept: the author still
// sees it, the others see that it was retracted. Retracting again answers
// the message unchanged.
func (s *Server) retractMessage(ctx context.Context, in *MessageIDInput) (*MessageOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &MessageOutput{}
	var refused error
	var patientID string
	err = s.withMessage(ctx, pr, "message.retract", in.ID, func(tx *store.Tx, sc patientScope, m store.Message) error {
		if m.AuthorID != pr.User.ID {
			patientID = m.PatientID
			// A member trying to take back another's words is a refused
			// write of patient data: audited as denied, like an outsider's
			// attempt (the misuse alerts count it).
			refused = care.Errorf(care.CodeForbidden, "only the author retracts a message")
			return refused
		}
		first, err := tx.RetractMessage(ctx, m.ID, pr.User.ID, s.now())
		if err != nil {
			return err
		}
		if first {
			if err := s.changed(ctx, tx, store.Change{PatientID: m.PatientID, Entity: "message", EntityID: m.ID}); err != nil {
				return err
			}
			if m, err = tx.Message(ctx, m.ID); err != nil {
				return err
			}
		}
		got, err := s.messagesOut(ctx, tx, pr, sc.Level, []store.Message{m})
		if err != nil {
			return err
		}
		out.Body = got[0]
		return audit.Append(ctx, tx, s.event(ctx, pr, "message.retract", m.PatientID, "message", m.ID))
	})
	if refused != nil && errors.Is(err, refused) {
		return nil, s.denied(ctx, pr, "message.retract", patientID, "message", in.ID, refused)
	}
	return out, err
}
