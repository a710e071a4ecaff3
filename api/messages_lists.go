package api

import (
	"context"
	"errors"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/mail"
	"tsunagu/internal/notify"
	"tsunagu/internal/store"
)

type ListMessagesInput struct {
	ID     string `path:"id" format:"uuid"`
	Before string `query:"before" format:"uuid" doc:"a message id of this channel: the page holds the messages before it (the next of the previous page)"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type MessagesOutput struct {
	Body struct {
		Items []MessageOut `json:"items" doc:"newest first"`
		Next  string       `json:"next,omitempty" format:"uuid" doc:"pass as before for the next (older) page; absent on the last"`
	}
}

// listMessages is a page of a patient's channel, newest first. The view is
// audited like a timeline's.
func (s *Server) listMessages(ctx context.Context, in *ListMessagesInput) (*MessagesOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &MessagesOutput{}
	out.Body.Items = []MessageOut{}
	err = s.readPatient(ctx, pr, "message.list", in.ID, "message", "", care.Shared, func(tx *store.Tx, sc patientScope) error {
		q := store.MessagesQuery{PatientID: in.ID, Limit: in.Limit + 1}
		if in.Before != "" {
			b, err := tx.Message(ctx, in.Before)
			if errors.Is(err, store.ErrNotFound) || (err == nil && b.PatientID != in.ID) {
				return care.Invalid("before", "must name a message of this channel")
			}
			if err != nil {
				return err
			}
			k := b.Key()
			q.Before = &k
		}
		ms, err := tx.Messages(ctx, q)
		if err != nil {
			return err
		}
		if len(ms) > in.Limit {
			ms = ms[:in.Limit]
			out.Body.Next = ms[len(ms)-1].ID
		}
		out.Body.Items, err = s.messagesOut(ctx, tx, pr, sc.Level, ms)
		return err
	})
	return out, err
}

type MarkMessagesReadInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		UpTo string `json:"up_to" format:"uuid" doc:"the newest message of this channel the caller has read; the pointer only moves forward"`
	}
}

// markMessagesRead moves the caller's read pointer in a patient's channel
// forward to up_to (never back): the messages up to it count as read
// (既読) and leave the caller's unread counts.
func (s *Server) markMessagesRead(ctx context.Context, in *MarkMessagesReadInput) (*struct{}, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return nil, s.withPatient(ctx, pr, "message.read", in.ID, "message", in.Body.UpTo, care.Shared, false, func(tx *store.Tx, _ patientScope) error {
		m, err := tx.Message(ctx, in.Body.UpTo)
		if errors.Is(err, store.ErrNotFound) || (err == nil && m.PatientID != in.ID) {
			return care.Invalid("up_to", "must name a message of this channel")
		}
		if err != nil {
			return err
		}
		if _, err := tx.MarkMessagesRead(ctx, in.ID, pr.User.ID, m.Key(), s.now()); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "message.read", in.ID, "message", m.ID))
	})
}

type ListMentionsInput struct {
	Before string `query:"before" format:"uuid" doc:"a message id: the page holds the mentions before it (the next of the previous page)"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// listMentions is the messages that mention the caller across the
// patients whose channel they read now, newest first. Each patient in the
// page is an audited view.
func (s *Server) listMentions(ctx context.Context, in *ListMentionsInput) (*MessagesOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &MessagesOutput{}
	out.Body.Items = []MessageOut{}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		c, err := s.caseloadLevels(ctx, tx, pr)
		if err != nil {
			return err
		}
		var before *store.MessageKey
		if in.Before != "" {
			b, err := tx.Message(ctx, in.Before)
			if errors.Is(err, store.ErrNotFound) || (err == nil && !slicesContains(c.order, b.PatientID)) {
				return care.Invalid("before", "must name a message of one of my patients")
			}
			if err != nil {
				return err
			}
			k := b.Key()
			before = &k
		}
		ms, err := tx.MentionsOf(ctx, pr.User.ID, c.order, before, in.Limit+1)
		if err != nil {
			return err
		}
		if len(ms) > in.Limit {
			ms = ms[:in.Limit]
			out.Body.Next = ms[len(ms)-1].ID
		}
		chart := map[string]bool{}
		for _, id := range c.chart {
			chart[id] = true
		}
		seen := map[string]bool{}
		var events []*audit.Event
		for _, m := range ms {
			lvl := care.Shared
			if chart[m.PatientID] {
				lvl = care.Chart
			}
			got, err := s.messagesOut(ctx, tx, pr, lvl, []store.Message{m})
			if err != nil {
				return err
			}
			out.Body.Items = append(out.Body.Items, got[0])
			if !seen[m.PatientID] {
				seen[m.PatientID] = true
				events = append(events, s.event(ctx, pr, "message.mentions", m.PatientID, "message", ""))
			}
		}
		return audit.Append(ctx, tx, events...)
	})
	return out, err
}

func slicesContains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// notifyMessage queues the notices of new message m to its audience a
// (the members who read the channel), the author left out. Each member
// gets one notice: urgent (an urgent message) before mention (they are
// mentioned) before message. Their preferences route each kind, and quiet
// hours let only urgent and mention through (notify.Prefs). Pushes and
// mails carry generic text and opaque ids only: never the patient's name
// nor the message's text.
func (s *Server) notifyMessage(ctx context.Context, tx *store.Tx, m store.Message, a store.RecordAudience) error {
	groups := map[string][]string{}
	for _, u := range a.UserIDs {
		if u == m.AuthorID {
			continue
		}
		kind := notify.KindMessage
		switch {
		case m.Urgent:
			kind = notify.KindUrgent
		case slicesContains(m.Mentions, u):
			kind = notify.KindMention
		}
		groups[kind] = append(groups[kind], u)
	}
	for _, kind := range []string{notify.KindUrgent, notify.KindMention, notify.KindMessage} {
		users := groups[kind]
		if len(users) == 0 {
			continue
		}
		mk := map[string]string{notify.KindUrgent: mail.KindUrgent, notify.KindMention: mail.KindMention, notify.KindMessage: mail.KindMessage}[kind]
		n := notice{kind: kind, mailKind: mk, topic: s.topics.For(notify.MessageTag(kind, m.PatientID)),
			payload: notify.NewMessagePayload(kind, m.PatientID, m.ID, s.pushTexts)}
		if err := s.notifyUsers(ctx, tx, users, a.Subscriptions, a.Settings, n); err != nil {
			return err
		}
	}
	return nil
}

// snapshotMessages is how many recent messages a device gets of a patient
// it gains; older ones are read online.
const snapshotMessages = 200

// messageEntityKind is the pull's "message": a patient's channel, as
// MessageEntity (a message without its readers), for members who read it
// at the shared level; nothing to anyone below it.
func (s *Server) messageEntityKind() entityKind {
	return entityKind{
		patientOf: func(ctx context.Context, tx *store.Tx, id string) (string, error) {
			return tx.MessagePatientID(ctx, id)
		},
		snapshot: func(ctx context.Context, tx *store.Tx, _ *Principal, sc patientScope, patientID string) ([]string, error) {
			if sc.Level < care.Shared {
				return nil, nil
			}
			return tx.RecentMessageIDs(ctx, patientID, snapshotMessages)
		},
		load: func(ctx context.Context, tx *store.Tx, p *Principal, sc patientScope, patientID string, ids []string, put func(string, any)) error {
			if sc.Level < care.Shared {
				return nil
			}
			ms, err := tx.MessagesByIDs(ctx, patientID, ids)
			if err != nil {
				return err
			}
			recs, err := tx.MessageRecordIDs(ctx, care.RecordScopeFor(p.Viewer, sc.Level), ids)
			if err != nil {
				return err
			}
			for _, m := range ms {
				put(m.ID, messageEntity(m, p.User.ID, recs[m.ID]))
			}
			return nil
		},
	}
}

// messageAnswer rebuilds the answer of a message.create for a resend: the
// message as it was answered then (a retraction or a record made since is
// not part of it; the app pulls those as any change), with the readers as
// of then.
func messageAnswer(ctx context.Context, tx *store.Tx, p *Principal, ref entityRef, asOf time.Time) (any, error) {
	m, err := tx.Message(ctx, ref.ID)
	if err != nil {
		return nil, err
	}
	if m.RetractedAt.Valid && m.RetractedAt.Time.After(asOf) {
		m.RetractedAt.Valid = false
	}
	o := MessageOut{MessageEntity: messageEntity(m, p.User.ID, nil), ReadBy: []MessageReadOut{}}
	marks, err := tx.MessageReadMarks(ctx, m.PatientID, m.Key())
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, rd := range marks {
		if rd.UserID == m.AuthorID || seen[rd.UserID] || rd.ReadAt.After(asOf) {
			continue
		}
		seen[rd.UserID] = true
		o.ReadBy = append(o.ReadBy, MessageReadOut{UserID: rd.UserID, ReadAt: rd.ReadAt})
	}
	return o, nil
}

func (d MessageOut) ref() entityRef { return entityRef{Kind: "message", ID: d.ID} }
