package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/mail"
	"tsunagu/internal/notify"
	"tsunagu/internal/store"
)

// Staff messages (スタッフ連絡): one-to-one threads between two active
// staff of the network and one thread per facility among its active staff,
// outside any patient. Who takes part is care.StaffParticipant, decided on
// every request from the accounts as they are now. A thread the caller
// does not take part in answers 404, as one that does not exist. Messages
// are insert-only; reads, writes and refusals are audited with no patient.
// Notifications say only 「スタッフ連絡があります」.

// StaffMessageOut is one message of a staff thread.
type StaffMessageOut struct {
	ID            string    `json:"id" format:"uuid"`
	ThreadID      string    `json:"thread_id" format:"uuid"`
	Seq           int64     `json:"seq" doc:"position in the thread: 1, 2, …"`
	AuthorID      string    `json:"author_id" format:"uuid"`
	AuthorName    string    `json:"author_name"`
	Profession    string    `json:"profession"`
	Text          string    `json:"text"`
	AttachmentIDs []string  `json:"staff_attachment_ids" doc:"its photos (GET /staff/attachments/{id}); never a patient's attachment"`
	CreatedAt     time.Time `json:"created_at"`
}

func staffMessageOut(m store.StaffMessage) StaffMessageOut {
	return StaffMessageOut{ID: m.ID, ThreadID: m.ThreadID, Seq: m.Seq, AuthorID: m.AuthorID, AuthorName: m.AuthorName,
		Profession: m.Profession, Text: m.Text, AttachmentIDs: m.AttachmentIDs, CreatedAt: m.CreatedAt}
}

// StaffThreadOut is a thread as the caller sees it.
type StaffThreadOut struct {
	ID                string     `json:"id" format:"uuid" doc:"a facility's thread has the facility's id"`
	Kind              string     `json:"kind" enum:"direct,facility"`
	FacilityID        string     `json:"facility_id,omitempty" format:"uuid"`
	FacilityName      string     `json:"facility_name,omitempty"`
	OtherUserID       string     `json:"other_user_id,omitempty" format:"uuid" doc:"direct: the other account"`
	OtherName         string     `json:"other_name,omitempty"`
	OtherProfession   string     `json:"other_profession,omitempty"`
	OtherFacilityName string     `json:"other_facility_name,omitempty"`
	OtherActive       bool       `json:"other_active" doc:"direct: the other account can be written to"`
	LastSeq           int64      `json:"last_seq"`
	LastMessageAt     *time.Time `json:"last_message_at,omitempty"`
	LastAuthorName    string     `json:"last_author_name,omitempty"`
	ReadSeq           int64      `json:"read_seq" doc:"the caller has read up to this position"`
	Unread            int64      `json:"unread" doc:"messages of others after read_seq"`
}

func staffThreadOut(it store.StaffThreadItem) StaffThreadOut {
	out := StaffThreadOut{ID: it.ID, Kind: it.Kind, FacilityID: it.FacilityID.String, FacilityName: it.FacilityName.String,
		OtherUserID: it.OtherID.String, OtherName: it.OtherName.String, OtherProfession: it.OtherProf.String,
		OtherFacilityName: it.OtherFacility.String, OtherActive: it.OtherStatus.String == care.StatusActive,
		LastSeq: it.LastSeq, LastAuthorName: it.LastAuthorName.String, ReadSeq: it.ReadSeq, Unread: it.Unread}
	if it.LastMessageAt.Valid {
		t := it.LastMessageAt.Time.UTC()
		out.LastMessageAt = &t
	}
	return out
}

type CreateStaffMessageInput struct {
	Body struct {
		ID            string   `json:"id" format:"uuid" doc:"client-generated UUIDv7; the same id and body again answers 200 with the stored message"`
		ToUserID      string   `json:"to_user_id,omitempty" format:"uuid" doc:"an active account of the network (one-to-one); or"`
		FacilityID    string   `json:"facility_id,omitempty" format:"uuid" doc:"the caller's own facility (its staff's thread)"`
		Text          string   `json:"text" minLength:"1" maxLength:"2000"`
		AttachmentIDs []string `json:"staff_attachment_ids,omitempty" maxItems:"6" uniqueItems:"true" doc:"photos the caller uploaded (PUT /staff/attachments/{id}) that no message cites yet; never a patient's attachment"`
	}
}

type StaffMessageOutput struct {
	Status int
	Body   StaffMessageOut
}

// createStaffMessage writes a message to a person (their pair thread, made
// on the first message) or to the caller's facility. Retrying with the same
// id and body answers the stored message; another body under that id 409.
func (s *Server) createStaffMessage(ctx context.Context, in *CreateStaffMessageInput) (*StaffMessageOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	if (b.ToUserID == "") == (b.FacilityID == "") {
		return nil, care.Invalid("to_user_id", "give either to_user_id or facility_id")
	}
	if strings.TrimSpace(b.Text) == "" {
		return nil, care.Invalid("text", "must not be blank")
	}
	if b.AttachmentIDs == nil {
		b.AttachmentIDs = []string{}
	}
	const action = "staff_message.create"
	out := &StaffMessageOutput{Status: http.StatusCreated}
	var refused error
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if prev, err := tx.StaffMessage(ctx, b.ID); err == nil {
			return s.staffRetry(ctx, tx, p, prev, b.ToUserID, b.FacilityID, b.Text, b.AttachmentIDs, out)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := s.now()
		var t store.StaffThread
		if b.ToUserID != "" {
			if b.ToUserID == p.User.ID {
				return care.Invalid("to_user_id", "must be another account")
			}
			to, err := tx.User(ctx, b.ToUserID)
			if errors.Is(err, store.ErrNotFound) || (err == nil && to.Status != care.StatusActive) {
				return care.Invalid("to_user_id", "names no active staff account")
			}
			if err != nil {
				return err
			}
			if t, err = tx.EnsureDirectThread(ctx, s.newID(), p.User.ID, to.ID, now); err != nil {
				return err
			}
		} else {
			if b.FacilityID != p.Viewer.FacilityID {
				refused = care.ErrNotFound // another facility's thread is not the caller's to see
				return refused
			}
			if t, err = tx.EnsureFacilityThread(ctx, b.FacilityID, now); err != nil {
				return err
			}
		}
		m, err := tx.CreateStaffMessage(ctx, store.StaffMessage{ID: b.ID, ThreadID: t.ID, AuthorID: p.User.ID, Text: b.Text,
			AttachmentIDs: b.AttachmentIDs, CreatedAt: now})
		var nc *store.NotCitableError
		if errors.As(err, &nc) {
			return care.Invalid(fmt.Sprintf("staff_attachment_ids[%d]", nc.Index), "names no photo of yours that no message cites yet")
		}
		if err != nil {
			return err
		}
		m.AuthorName, m.Profession = p.User.Name, p.User.Profession
		out.Body = staffMessageOut(m)
		if err := s.notifyStaff(ctx, tx, t, p.User.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, p, action, "", "staff_message", m.ID))
	})
	if refused != nil {
		return nil, s.denied(ctx, p, action, "", "staff_thread", b.FacilityID, refused)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// staffRetry answers a create whose id names stored message prev: the same
// message again (200) when the caller wrote it with this body to this
// thread and still takes part in it; 409 id_taken otherwise.
func (s *Server) staffRetry(ctx context.Context, tx *store.Tx, p *Principal, prev store.StaffMessage, toUserID, facilityID, text string,
	attachmentIDs []string, out *StaffMessageOutput) error {
	taken := store.ErrIDTaken // the same answer as for any other entity's id: nothing of the message
	t, err := tx.StaffThread(ctx, prev.ThreadID)
	if err != nil {
		return err
	}
	same := prev.AuthorID == p.User.ID && prev.Text == text && slices.Equal(prev.AttachmentIDs, attachmentIDs) &&
		care.StaffParticipant(p.Viewer, t.Facts())
	switch t.Kind {
	case care.StaffDirect:
		same = same && toUserID != "" && (toUserID == t.UserA.String || toUserID == t.UserB.String)
	case care.StaffFacility:
		same = same && facilityID == t.FacilityID.String
	}
	if !same {
		return taken
	}
	out.Status, out.Body = http.StatusOK, staffMessageOut(prev)
	return nil
}

// notifyStaff tells the other participants of thread t of a new message
// by author, each as their preferences for messages route it, with the
// generic text only: no name, no text, no patient.
func (s *Server) notifyStaff(ctx context.Context, tx *store.Tx, t store.StaffThread, author string) error {
	to, err := tx.StaffRecipients(ctx, t, author)
	if err != nil {
		return err
	}
	return s.notifyUsers(ctx, tx, to, nil, nil, notice{kind: notify.KindMessage, mailKind: mail.KindStaffMessage,
		topic: s.topics.For("staff:" + t.ID), payload: notify.NewStaffMessagePayload(t.ID, s.pushTexts)})
}

type StaffThreadsOutput struct {
	Body struct {
		Items  []StaffThreadOut `json:"items"`
		Unread int64            `json:"unread" doc:"unread messages of others across the threads"`
	}
}

// listStaffThreads lists the caller's threads, the most recent first,
// with unread counts. The caller's facility thread is always listed (with
// the facility's id, empty until someone writes), so the app can open it.
func (s *Server) listStaffThreads(ctx context.Context, _ *struct{}) (*StaffThreadsOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &StaffThreadsOutput{}
	out.Body.Items = []StaffThreadOut{}
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		items, err := tx.StaffThreadsOf(ctx, p.User.ID, p.Viewer.FacilityID)
		if err != nil {
			return err
		}
		own := p.Viewer.FacilityID == ""
		for _, it := range items {
			own = own || it.ID == p.Viewer.FacilityID
			o := staffThreadOut(it)
			out.Body.Items = append(out.Body.Items, o)
			out.Body.Unread += o.Unread
		}
		if !own {
			f, err := tx.Facility(ctx, p.Viewer.FacilityID)
			if err != nil {
				return err
			}
			out.Body.Items = append(out.Body.Items, StaffThreadOut{ID: f.ID, Kind: care.StaffFacility, FacilityID: f.ID, FacilityName: f.Name})
		}
		return nil
	})
	return out, err
}

type StaffMessagesInput struct {
	ThreadID string `path:"thread_id" format:"uuid"`
	Before   string `query:"before" format:"uuid" doc:"a message of this thread: the page ends before it"`
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type StaffMessagesOutput struct {
	Body struct {
		Thread StaffThreadOut    `json:"thread"`
		Items  []StaffMessageOut `json:"items" doc:"newest first"`
		Next   string            `json:"next,omitempty" format:"uuid" doc:"pass as before for the older page"`
	}
}

// listStaffMessages reads a page of a thread the caller takes part in,
// newest first; audited as a read.
func (s *Server) listStaffMessages(ctx context.Context, in *StaffMessagesInput) (*StaffMessagesOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	const action = "staff_message.list"
	limit := in.Limit
	if limit <= 0 {
		limit = 50
	}
	out := &StaffMessagesOutput{}
	out.Body.Items = []StaffMessageOut{}
	err = s.withStaffThread(ctx, p, action, in.ThreadID, func(tx *store.Tx, t store.StaffThread) error {
		var before int64
		if in.Before != "" {
			m, err := tx.StaffMessage(ctx, in.Before)
			if errors.Is(err, store.ErrNotFound) || (err == nil && m.ThreadID != t.ID) {
				return care.Invalid("query.before", "names no message of this thread")
			}
			if err != nil {
				return err
			}
			before = m.Seq
		}
		ms, err := tx.StaffMessages(ctx, t.ID, before, limit+1)
		if err != nil {
			return err
		}
		if len(ms) > limit {
			ms = ms[:limit]
			out.Body.Next = ms[limit-1].ID
		}
		for _, m := range ms {
			out.Body.Items = append(out.Body.Items, staffMessageOut(m))
		}
		if out.Body.Thread, err = s.staffThreadFor(ctx, tx, p, t); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, p, action, "", "staff_thread", t.ID))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// staffThreadFor is thread t as p's list shows it.
func (s *Server) staffThreadFor(ctx context.Context, tx *store.Tx, p *Principal, t store.StaffThread) (StaffThreadOut, error) {
	if t.CreatedAt.IsZero() { // the caller's facility, before its first message
		f, err := tx.Facility(ctx, t.ID)
		return StaffThreadOut{ID: t.ID, Kind: care.StaffFacility, FacilityID: t.ID, FacilityName: f.Name}, err
	}
	it, err := tx.StaffThreadItem(ctx, p.User.ID, t.ID)
	return staffThreadOut(it), err
}

// withStaffThread runs fn in a write transaction on thread id when p takes
// part in it; otherwise (or when there is no such thread) it answers 404,
// the refusal audited. The caller's own facility's thread is given as an
// unsaved empty one before anybody wrote to it.
func (s *Server) withStaffThread(ctx context.Context, p *Principal, action, id string, fn func(tx *store.Tx, t store.StaffThread) error) error {
	var refused error
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		t, err := tx.StaffThread(ctx, id)
		if errors.Is(err, store.ErrNotFound) && id == p.Viewer.FacilityID && id != "" {
			t, err = store.StaffThread{ID: id, Kind: care.StaffFacility, FacilityID: nullString(id)}, nil
		}
		if errors.Is(err, store.ErrNotFound) {
			refused = care.ErrNotFound
			return refused
		}
		if err != nil {
			return err
		}
		if !care.StaffParticipant(p.Viewer, t.Facts()) {
			refused = care.ErrNotFound
			return refused
		}
		return fn(tx, t)
	})
	if refused != nil {
		return s.denied(ctx, p, action, "", "staff_thread", id, refused)
	}
	return err
}

type MarkStaffReadInput struct {
	ThreadID string `path:"thread_id" format:"uuid"`
	Body     struct {
		UpTo string `json:"up_to" format:"uuid" doc:"a message of this thread; the read position moves forward only"`
	}
}

type StaffThreadOutput struct {
	Body StaffThreadOut
}

// markStaffThreadRead moves the caller's read position in a thread forward
// to a message of that thread, and answers the thread as the list shows it.
// The move is audited (the refusal too, by withStaffThread).
func (s *Server) markStaffThreadRead(ctx context.Context, in *MarkStaffReadInput) (*StaffThreadOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &StaffThreadOutput{}
	return out, s.withStaffThread(ctx, p, "staff_thread.read", in.ThreadID, func(tx *store.Tx, t store.StaffThread) error {
		m, err := tx.StaffMessage(ctx, in.Body.UpTo)
		if errors.Is(err, store.ErrNotFound) || (err == nil && m.ThreadID != t.ID) {
			return care.Invalid("up_to", "names no message of this thread")
		}
		if err != nil {
			return err
		}
		if err := tx.MarkStaffThreadRead(ctx, t.ID, p.User.ID, m.Seq, s.now()); err != nil {
			return err
		}
		if out.Body, err = s.staffThreadFor(ctx, tx, p, t); err != nil {
			return err
		}
		// A read position records that the account read the thread up to
		// there: a write about a read, audited like the page itself.
		return audit.Append(ctx, tx, s.event(ctx, p, "staff_thread.read", "", "staff_message", m.ID))
	})
}
