package api

import (
	"context"
	"errors"
	"strings"
	"time"

	"tsunagu/internal/alerts"
	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/mail"
	"tsunagu/internal/notify"
	"tsunagu/internal/store"
)

// AlertOut is one misuse alert (internal/alerts).
type AlertOut struct {
	ID         string    `json:"id" format:"uuid"`
	Rule       string    `json:"rule" enum:"refused_access,many_patients,privilege_change,credential_reset,many_addresses" doc:"refused_access: refused patient accesses; many_patients: distinct patients viewed; privilege_change: changes of profession or roles made; credential_reset: password or TOTP resets made; many_addresses: distinct sign-in addresses"`
	UserID     string    `json:"user_id" doc:"whom the alert is about: the one who did what the rule counts"`
	UserName   string    `json:"user_name"`
	FacilityID string    `json:"facility_id" doc:"the user's facility when the alert opened (empty for an account of none)"`
	PatientIDs []string  `json:"patient_ids" doc:"the patients concerned (refused_access, many_patients), newest last, at most 50"`
	Count      int64     `json:"count" doc:"the most the rule counted within one window while the alert was open"`
	FirstAt    time.Time `json:"first_at" doc:"when the rule first fired (the alert opened)"`
	LastAt     time.Time `json:"last_at" doc:"when the rule last fired"`
	Status     string    `json:"status" enum:"open,acknowledged"`
	Note       string    `json:"note" doc:"the acknowledging administrator's note"`
	// Set once acknowledged.
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
}

func alertOut(a alerts.Alert) AlertOut {
	out := AlertOut{ID: a.ID, Rule: a.Rule, UserID: a.UserID, UserName: a.UserName, FacilityID: a.FacilityID, PatientIDs: a.PatientIDs,
		Count: a.Count, FirstAt: a.FirstAt, LastAt: a.LastAt, Status: a.Status, Note: a.Note, AcknowledgedBy: a.AcknowledgedBy.String}
	if out.PatientIDs == nil {
		out.PatientIDs = []string{}
	}
	if a.AcknowledgedAt.Valid {
		t := a.AcknowledgedAt.Time
		out.AcknowledgedAt = &t
	}
	return out
}

type ListAlertsInput struct {
	Status string `query:"status" enum:"open,acknowledged" doc:"only alerts in this state (both when empty)"`
	UserID string `query:"user_id" format:"uuid" doc:"only alerts about this user"`
}

type AlertsOutput struct {
	Body struct {
		Alerts []AlertOut `json:"alerts" doc:"newest last_at first, at most 500"`
	}
}

type AlertOutput struct{ Body AlertOut }

// alertScope is the facility whose staff's alerts p sees ("" = every
// alert), or admin_only. A facility admin sees the alerts about the
// accounts they manage (care.CanManageUser): their facility's staff, not a
// network administrator who belongs to it.
func alertScope(p *Principal) (string, error) {
	switch {
	case p.Viewer.NetworkAdmin:
		return "", nil
	case p.Viewer.FacilityAdmin && p.Viewer.FacilityID != "":
		return p.Viewer.FacilityID, nil
	}
	return "", &care.Error{Code: care.CodeAdminOnly}
}

// listAlerts: network admins see every alert; facility admins the alerts
// about their own facility's staff (as they see those staff's actions in
// the audit log); others 403, audited.
func (s *Server) listAlerts(ctx context.Context, in *ListAlertsInput) (*AlertsOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	facility, err := alertScope(p)
	if err != nil {
		return nil, s.denied(ctx, p, "alert.list", "", "alert", "", err)
	}
	out := &AlertsOutput{}
	out.Body.Alerts = []AlertOut{}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		as, err := alerts.List(ctx, tx, alerts.Filter{Status: in.Status, UserID: in.UserID, FacilityID: facility, StaffOnly: facility != ""})
		if err != nil {
			return err
		}
		for _, a := range as {
			out.Body.Alerts = append(out.Body.Alerts, alertOut(a))
		}
		return audit.Append(ctx, tx, s.event(ctx, p, "alert.list", "", "alert", ""))
	})
	return out, err
}

type AcknowledgeAlertInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		Note string `json:"note" maxLength:"1000" doc:"what the review found"`
	}
}

// acknowledgeAlert closes an open alert with a note. Who may see it may
// acknowledge it, except the one it is about (403 own_alert); an alert
// the caller may not see is 404 as an unknown one; one acknowledged
// already is 409 conflict. Every answer is audited (alert.acknowledge).
func (s *Server) acknowledgeAlert(ctx context.Context, in *AcknowledgeAlertInput) (*AlertOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	const action = "alert.acknowledge"
	facility, err := alertScope(p)
	if err != nil {
		return nil, s.denied(ctx, p, action, "", "alert", in.ID, err)
	}
	var out AlertOut
	var refused error
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		a, err := alerts.Get(ctx, tx, in.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			refused = care.ErrNotFound
		case err != nil:
			return err
		case facility != "" && a.FacilityID != facility:
			refused = care.ErrNotFound
		case facility != "":
			// Alerts about a network administrator of the facility are
			// the network office's to close, as unknown as any other.
			u, err := tx.User(ctx, a.UserID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if !care.CanManageUser(p.Viewer, a.FacilityID, u.NetworkAdmin) {
				refused = care.ErrNotFound
			}
		}
		switch {
		case refused != nil:
		case a.UserID == p.User.ID:
			refused = &care.Error{Code: care.CodeOwnAlert}
		case a.Status != alerts.StatusOpen:
			refused = care.Errorf(care.CodeConflict, "alert acknowledged already")
		}
		if refused != nil {
			return refused
		}
		now := s.now()
		note := strings.TrimSpace(in.Body.Note)
		ok, err := alerts.Acknowledge(ctx, tx, a.ID, p.User.ID, note, now)
		if err != nil {
			return err
		}
		if !ok {
			refused = care.Errorf(care.CodeConflict, "alert acknowledged already")
			return refused
		}
		a.Status, a.Note = alerts.StatusAcknowledged, note
		a.AcknowledgedBy.String, a.AcknowledgedBy.Valid = p.User.ID, true
		a.AcknowledgedAt.Time, a.AcknowledgedAt.Valid = store.UTC(now), true
		out = alertOut(a)
		return audit.Append(ctx, tx, s.event(ctx, p, action, "", "alert", a.ID))
	})
	if refused != nil {
		return nil, s.denied(ctx, p, action, "", "alert", in.ID, refused)
	}
	if err != nil {
		return nil, err
	}
	return &AlertOutput{Body: out}, nil
}

// alertOpened queues the notification of a new alert to every active
// network administrator (push and e-mail, as each one's preferences for
// alerts say), in the transaction that opened it: generic text only,
// nothing of whom or what it is about.
func (s *Server) alertOpened(ctx context.Context, tx *store.Tx, _ alerts.Alert) error {
	admins, err := tx.NetworkAdminIDs(ctx)
	if err != nil {
		return err
	}
	return s.notifyUsers(ctx, tx, admins, nil, nil, notice{kind: notify.KindAlert, mailKind: mail.KindAlert,
		topic: s.topics.For(notify.AlertTag), payload: notify.NewAlertPayload(s.pushTexts)})
}

// watchAudit makes the alert rules of the options (every rule on, by
// default) watch the audit log of s's database.
func (s *Server) watchAudit() {
	cfg := s.opt.Alerts
	if cfg == nil {
		cfg = alerts.DefaultConfig()
	}
	audit.Watch(s.db, &alerts.Engine{Config: cfg, OnNew: s.alertOpened, NewID: s.newID})
}
