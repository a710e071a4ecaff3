package api

import (
	"context"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/notify"
	"tsunagu/internal/store"
)

// KindChannels is the channel of each event kind.
type KindChannels struct {
	Record  string `json:"record" enum:"push,email,both,none" doc:"new records and records awaiting my confirmation"`
	Visit   string `json:"visit" enum:"push,email,both,none" doc:"my visits: new, moved, cancelled, reassigned"`
	Alert   string `json:"alert" enum:"push,email,both,none" doc:"misuse alerts (network administrators)"`
	Message string `json:"message" enum:"push,email,both,none" doc:"team channel messages (reserved)"`
	Mention string `json:"mention" enum:"push,email,both,none" doc:"messages that mention me (reserved); pass quiet hours"`
	Urgent  string `json:"urgent" enum:"push,email,both,none" doc:"urgent messages (reserved); pass quiet hours"`
}

type QuietHoursBody struct {
	Enabled bool   `json:"enabled"`
	Start   string `json:"start" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$" doc:"HH:MM, Asia/Tokyo"`
	End     string `json:"end" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$" doc:"HH:MM, Asia/Tokyo; before start wraps midnight"`
}

// PreferencesBody is what a user chooses. During quiet hours only urgent
// messages and mentions get through: other pushes are dropped (the app
// pulls on opening), other e-mail is held to the end and leaves as one
// message. email_hourly gathers non-urgent e-mail into one message an hour.
type PreferencesBody struct {
	Kinds       KindChannels   `json:"kinds"`
	QuietHours  QuietHoursBody `json:"quiet_hours"`
	EmailHourly bool           `json:"email_hourly" doc:"gather e-mail of non-urgent events into one message per hour"`
}

type PreferencesOutput struct {
	Body struct {
		PreferencesBody
		Email         EmailState `json:"email"`
		MailAvailable bool       `json:"mail_available" doc:"the server sends e-mail (an SMTP server is configured)"`
	}
}

type PreferencesInput struct {
	Body PreferencesBody
}

func prefsBody(p notify.Prefs) PreferencesBody {
	k := p.Kinds
	return PreferencesBody{
		Kinds: KindChannels{Record: k[notify.KindRecord], Visit: k[notify.KindVisit], Alert: k[notify.KindAlert],
			Message: k[notify.KindMessage], Mention: k[notify.KindMention], Urgent: k[notify.KindUrgent]},
		QuietHours:  QuietHoursBody{Enabled: p.Quiet.Enabled, Start: p.Quiet.Start, End: p.Quiet.End},
		EmailHourly: p.EmailHourly,
	}
}

func (s *Server) preferencesOf(ctx context.Context, tx *store.Tx, userID string) (*PreferencesOutput, error) {
	raw, err := tx.NotifyPrefsJSON(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := &PreferencesOutput{}
	out.Body.PreferencesBody = prefsBody(notify.ParsePrefs(raw))
	out.Body.MailAvailable = s.mailOn
	e, err := tx.UserEmailOf(ctx, userID)
	switch {
	case err == store.ErrNotFound:
	case err != nil:
		return nil, err
	default:
		out.Body.Email = EmailState{Address: e.Address, Verified: e.VerifiedAt.Valid}
	}
	return out, nil
}

// getPreferences answers the caller's notification preferences (the
// defaults until saved) and the state of their address.
func (s *Server) getPreferences(ctx context.Context, _ *struct{}) (*PreferencesOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	var out *PreferencesOutput
	err = s.db.Read(ctx, func(tx *store.Tx) (err error) {
		out, err = s.preferencesOf(ctx, tx, p.User.ID)
		return err
	})
	return out, err
}

// putPreferences replaces the caller's notification preferences.
func (s *Server) putPreferences(ctx context.Context, in *PreferencesInput) (*PreferencesOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	q := notify.QuietHours{Enabled: b.QuietHours.Enabled, Start: b.QuietHours.Start, End: b.QuietHours.End}
	if err := q.Validate(); err != nil {
		return nil, care.Invalid("quiet_hours.end", "must differ from quiet_hours.start")
	}
	prefs := notify.Prefs{Quiet: q, EmailHourly: b.EmailHourly, Kinds: map[string]string{
		notify.KindRecord: b.Kinds.Record, notify.KindVisit: b.Kinds.Visit, notify.KindAlert: b.Kinds.Alert,
		notify.KindMessage: b.Kinds.Message, notify.KindMention: b.Kinds.Mention, notify.KindUrgent: b.Kinds.Urgent}}
	var out *PreferencesOutput
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SaveNotifyPrefsJSON(ctx, p.User.ID, prefs.Encode(), s.now()); err != nil {
			return err
		}
		if err := audit.Append(ctx, tx, s.event(ctx, p, "notify.preferences_update", "", "notify_pref", p.User.ID)); err != nil {
			return err
		}
		out, err = s.preferencesOf(ctx, tx, p.User.ID)
		return err
	})
	return out, err
}
