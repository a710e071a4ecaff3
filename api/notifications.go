package api

import (
	"context"
	"database/sql"
	"reflect"
	"slices"
	"strconv"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/mail"
	"tsunagu/internal/notify"
	"tsunagu/internal/store"
)

// hint tells the users' open apps (on every instance) to pull now.
func (s *Server) hint(users []string, seq int64) {
	if len(users) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.hints.Broadcast(ctx, notify.Hint{UserIDs: users, Cursor: strconv.FormatInt(seq, 10)}); err != nil {
		s.log.Warn("live hint not sent", "err", err)
	}
}

// recordChanged appends the change row of record r inside tx and, once tx
// commits, tells the members who read r to pull: its audience
// (store.RecordAudience, the rule of care.RecordScope.Reads), not the whole
// team, since a member who cannot read r would pull nothing new. The
// audience is returned so that a write that also pushes (notifyRecord)
// asks for it once.
func (s *Server) recordChanged(ctx context.Context, tx *store.Tx, r store.Record) (store.RecordAudience, error) {
	row := tx.AppendChange(ctx, store.Change{PatientID: r.PatientID, Entity: "record", EntityID: r.ID, Op: opUpsert, Chart: r.Chart, At: s.now()})
	a, err := tx.RecordAudience(ctx, s.opt.Care, r.ID)
	if err != nil {
		return a, err
	}
	users := a.UserIDs
	tx.AfterCommit(func() { s.hint(users, row.Seq) })
	return a, nil
}

// notifyRecord queues the notifications of a version of record r that
// enteredBy wrote, in the transaction of the write, to members of r's
// audience a (those who read r; a member who cannot open it hears
// nothing):
//   - created: every reader other than the author and the one who entered
//     it hears of a new record;
//   - when someone other than the author entered it (代行入力, or an
//     amendment of the author's record; care.NeedsConfirmation), the author
//     hears that it awaits their confirmation, under a topic of its own.
//
// The one who entered it is never notified. Each recipient's preferences
// for records (notify.Prefs) choose push, e-mail, both or neither, and
// their quiet hours hold or drop it. Payloads and mails carry opaque ids
// or generic text only.
func (s *Server) notifyRecord(ctx context.Context, tx *store.Tx, r store.Record, enteredBy string, created bool, a store.RecordAudience) error {
	confirm := care.NeedsConfirmation(r.AuthorID, enteredBy)
	var team, author []string
	for _, u := range a.UserIDs {
		switch u {
		case enteredBy:
		case r.AuthorID:
			if confirm {
				author = append(author, u)
			}
		default:
			if created {
				team = append(team, u)
			}
		}
	}
	if err := s.notifyUsers(ctx, tx, team, a.Subscriptions, a.Settings, notice{kind: notify.KindRecord, mailKind: mail.KindRecord,
		topic: s.topics.For(r.PatientID), payload: notify.NewRecordPayload(r.PatientID, r.ID, s.pushTexts)}); err != nil {
		return err
	}
	return s.notifyUsers(ctx, tx, author, a.Subscriptions, a.Settings, notice{kind: notify.KindRecord, mailKind: mail.KindConfirm,
		topic: s.topics.ConfirmFor(r.PatientID), payload: notify.NewConfirmPayload(r.PatientID, r.ID, s.pushTexts)})
}

// notifyVisit queues the notification of a visit for users (the assignees
// before and after the change) in the transaction of the change, leaving
// out the author and anyone no longer on the patient's team: they cannot
// open the patient, so a push would only leak that something happened.
// created picks the "new visit" text over the "changed" one.
func (s *Server) notifyVisit(ctx context.Context, tx *store.Tx, patientID, visitID, authorID string, created bool, users []string) error {
	if len(users) == 0 {
		return nil
	}
	team, err := tx.TeamUserIDs(ctx, patientID)
	if err != nil {
		return err
	}
	var to []string
	for _, u := range users {
		if u != authorID && slices.Contains(team, u) && !slices.Contains(to, u) {
			to = append(to, u)
		}
	}
	kind := mail.KindVisitChanged
	if created {
		kind = mail.KindVisitNew
	}
	return s.notifyUsers(ctx, tx, to, nil, nil, notice{kind: notify.KindVisit, mailKind: kind,
		topic: s.topics.For(patientID), payload: notify.NewVisitPayload(patientID, visitID, created, s.pushTexts)})
}

// notice is one event to tell some users of.
type notice struct {
	kind     string // the preference it falls under (notify.Kind*)
	mailKind string // the text of its e-mail (mail.Kind*)
	topic    string
	payload  notify.Payload
}

// notifyUsers queues n for users, each as their preferences route it
// (notify.Prefs.Route): a push to each of their subscriptions (subs when
// known, else looked up) and an e-mail to their verified address, if any.
// Both are outbox rows of this transaction. settings are the users'
// (store.NotifySettingsOf) when known, else nil and looked up.
func (s *Server) notifyUsers(ctx context.Context, tx *store.Tx, users []string, subs []store.PushSubscription, settings map[string]store.NotifySettings, n notice) error {
	if len(users) == 0 {
		return nil
	}
	var err error
	if settings == nil {
		if settings, err = tx.NotifySettingsOf(ctx, users); err != nil {
			return err
		}
	}
	if subs == nil {
		if subs, err = tx.PushSubscriptionsOf(ctx, users); err != nil {
			return err
		}
	}
	now := s.now()
	push := map[string]bool{}
	mailed := false
	for _, u := range users {
		st := settings[u]
		route := notify.ParsePrefs(st.Prefs).Route(n.kind, now)
		push[u] = route.Push
		if !route.Email || st.Address == "" || !s.mailOn {
			continue
		}
		if err := tx.EnqueueMail(ctx, store.MailItem{ID: s.newID(), UserID: u, Kind: n.mailKind, Address: st.Address,
			Gather: route.Gather, CreatedAt: now, NotBefore: route.EmailAt}); err != nil {
			return err
		}
		mailed = true
	}
	if mailed {
		tx.AfterCommit(s.wakeMail)
	}
	var to []store.PushSubscription
	for _, sub := range subs {
		if push[sub.UserID] {
			to = append(to, sub)
		}
	}
	return s.enqueueTo(ctx, tx, n.topic, to, n.payload)
}

// enqueueTo writes one outbox row per subscription, under topic, and wakes
// the worker after the commit.
func (s *Server) enqueueTo(ctx context.Context, tx *store.Tx, topic string, subs []store.PushSubscription, p notify.Payload) error {
	if len(subs) == 0 {
		return nil
	}
	payload, err := p.Encode()
	if err != nil {
		return err
	}
	now := s.now()
	for _, sub := range subs {
		if err := tx.EnqueuePush(ctx, store.OutboxItem{ID: s.newID(), SubscriptionID: sub.ID, Payload: string(payload),
			Topic: topic, Urgency: notify.UrgencyNormal, CreatedAt: now, NotBefore: now}); err != nil {
			return err
		}
	}
	tx.AfterCommit(s.wakePush)
	return nil
}

// visitChangeNotifies reports whether the change from before to after is
// one the assignees must hear of on their lock screens: the visit (or one
// occurrence of a series) moved, was cancelled or restored, or changed
// hands. A note, a kind, a linked record or "done" is news for the next
// pull, not for a push.
func visitChangeNotifies(before, after store.Visit) bool {
	if !sameIDs(before.AssigneeIDs, after.AssigneeIDs) ||
		!before.StartsAt.Equal(after.StartsAt) || !before.EndsAt.Equal(after.EndsAt) || before.AllDay != after.AllDay ||
		!reflect.DeepEqual(before.Recurrence, after.Recurrence) ||
		(before.Status == care.VisitCancelled) != (after.Status == care.VisitCancelled) {
		return true
	}
	for _, a := range after.Exceptions {
		b, _ := before.Exception(a.OccurrenceStart)
		if !sameNullTime(a.StartsAt, b.StartsAt) || !sameNullTime(a.EndsAt, b.EndsAt) ||
			occurrenceCancelled(after, a) != occurrenceCancelled(before, b) {
			return true
		}
	}
	return false
}

// occurrenceCancelled reports whether the occurrence with exception e (a
// zero e for one without) of series v is cancelled.
func occurrenceCancelled(v store.Visit, e store.VisitException) bool {
	if e.Status.Valid {
		return e.Status.String == care.VisitCancelled
	}
	return v.Status == care.VisitCancelled
}

func sameNullTime(a, b sql.NullTime) bool {
	return a.Valid == b.Valid && (!a.Valid || a.Time.Equal(b.Time))
}

func sameIDs(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

type PushKeyOutput struct {
	Body struct {
		PublicKey string `json:"public_key" doc:"VAPID application server key, base64url"`
	}
}

func (s *Server) pushKey(ctx context.Context, _ *struct{}) (*PushKeyOutput, error) {
	if _, err := s.authenticate(ctx); err != nil {
		return nil, err
	}
	out := &PushKeyOutput{}
	out.Body.PublicKey = s.vapidPublicKey
	return out, nil
}

type SubscriptionInput struct {
	Body struct {
		Endpoint string `json:"endpoint" format:"uri" maxLength:"2000"`
		Keys     struct {
			P256dh string `json:"p256dh" minLength:"80" maxLength:"120"`
			Auth   string `json:"auth" minLength:"16" maxLength:"40"`
		} `json:"keys"`
	}
}

// subscribe registers (or refreshes) the push subscription of this browser
// for the signed-in user. Only the configured push services are accepted.
func (s *Server) subscribe(ctx context.Context, in *SubscriptionInput) (*struct{}, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.allowPush.ValidateEndpoint(in.Body.Endpoint); err != nil {
		return nil, care.Invalid("endpoint", "not a push service this server sends to")
	}
	if err := notify.ValidateSubscriptionKeys(in.Body.Keys.P256dh, in.Body.Keys.Auth); err != nil {
		return nil, care.Invalid("keys", "subscription keys are not valid")
	}
	now := s.now()
	return nil, s.db.Write(ctx, func(tx *store.Tx) error {
		return tx.SavePushSubscription(ctx, store.PushSubscription{ID: s.newID(), UserID: p.User.ID, Endpoint: in.Body.Endpoint,
			P256dh: in.Body.Keys.P256dh, Auth: in.Body.Keys.Auth, CreatedAt: now, UpdatedAt: now})
	})
}

type UnsubscribeInput struct {
	Body struct {
		Endpoint string `json:"endpoint" format:"uri" maxLength:"2000"`
	}
}

func (s *Server) unsubscribe(ctx context.Context, in *UnsubscribeInput) (*struct{}, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return nil, s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.DeletePushSubscription(ctx, in.Body.Endpoint, p.User.ID)
		return err
	})
}

type DeviceInput struct {
	Body struct {
		DeviceID string `json:"device_id" format:"uuid"`
	}
}

type DeviceOutput struct {
	Body struct {
		Secret    string    `json:"secret" doc:"base64 device secret; with the user's PIN it derives the key of the data held on the device"`
		ExpiresAt time.Time `json:"expires_at" doc:"after this the device data stays locked until the app is online again"`
	}
}

// registerDevice gives the app the server half of the key that encrypts the
// data it holds: the same secret each time for one device, its expiry
// extended, so an offline iPad can open its data until then and a revoked
// account or device cannot.
func (s *Server) registerDevice(ctx context.Context, in *DeviceInput) (*DeviceOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &DeviceOutput{}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		d, err := s.device(ctx, tx, p, in.Body.DeviceID)
		if err != nil {
			return err
		}
		now := s.now()
		exp := store.UTC(now.Add(s.opt.DeviceSecretTTL))
		if err := tx.ExtendDeviceSecret(ctx, d.ID, exp, now); err != nil {
			return err
		}
		out.Body.Secret, out.Body.ExpiresAt = d.Secret, exp
		return nil
	})
	return out, err
}
