package api

import (
	"context"
	"errors"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

type ConsentOut struct {
	ID               string     `json:"id" format:"uuid"`
	ObtainedOn       string     `json:"obtained_on" format:"date"`
	Scope            string     `json:"scope" enum:"full,calendar_shared"`
	ObtainedBy       string     `json:"obtained_by" format:"uuid"`
	RecordedBy       string     `json:"recorded_by" format:"uuid"`
	RecordedAt       time.Time  `json:"recorded_at"`
	AttachmentID     string     `json:"attachment_id,omitempty" doc:"the scanned, signed form"`
	Active           bool       `json:"active"`
	WithdrawnAt      *time.Time `json:"withdrawn_at,omitempty"`
	WithdrawnBy      string     `json:"withdrawn_by,omitempty"`
	WithdrawalReason string     `json:"withdrawal_reason,omitempty"`
}

func consentOut(c store.Consent) ConsentOut {
	o := ConsentOut{ID: c.ID, ObtainedOn: c.ObtainedOn, Scope: c.Scope, ObtainedBy: c.ObtainedBy, RecordedBy: c.RecordedBy,
		RecordedAt: c.RecordedAt, AttachmentID: c.AttachmentID.String, Active: !c.WithdrawnAt.Valid,
		WithdrawnBy: c.WithdrawnBy.String, WithdrawalReason: c.WithdrawalReason.String}
	if c.WithdrawnAt.Valid {
		t := c.WithdrawnAt.Time
		o.WithdrawnAt = &t
	}
	return o
}

type CreateConsentInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		ConsentID    string `json:"id,omitempty" format:"uuid"`
		ObtainedOn   string `json:"obtained_on" format:"date"`
		Scope        string `json:"scope" enum:"full,calendar_shared" doc:"full: chart, calendar and notes; calendar_shared: calendar and shared notes only"`
		ObtainedBy   string `json:"obtained_by,omitempty" format:"uuid" doc:"staff who obtained the signature; defaults to the caller"`
		AttachmentID string `json:"attachment_id,omitempty" format:"uuid" doc:"the scanned, signed form: an attachment of this patient, uploaded first; required after a withdrawal (422 consent_form_required)"`
	}
}

type ConsentOutput struct{ Body ConsentOut }

// createConsent records a consent; sharing with the team starts at once.
// An active consent it replaces is closed as superseded in the same write.
// After a withdrawal only those who register the patient reach it (the
// registrar, the registering facility's admins), and the new consent must
// cite the scanned, signed form (care.ConsentNeedsForm).
func (s *Server) createConsent(ctx context.Context, in *CreateConsentInput) (*ConsentOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := validDate("obtained_on", in.Body.ObtainedOn, now); err != nil {
		return nil, err
	}
	c := store.Consent{ID: in.Body.ConsentID, PatientID: in.ID, ObtainedOn: in.Body.ObtainedOn, Scope: in.Body.Scope,
		ObtainedBy: in.Body.ObtainedBy, RecordedBy: pr.User.ID, RecordedAt: store.UTC(now), AttachmentID: nullString(in.Body.AttachmentID)}
	if c.ID == "" {
		c.ID = s.newID()
	}
	if c.ObtainedBy == "" {
		c.ObtainedBy = pr.User.ID
	}
	err = s.withPatient(ctx, pr, "consent.create", in.ID, "consent", c.ID, care.Registration, true, func(tx *store.Tx, _ patientScope) error {
		if _, err := tx.User(ctx, c.ObtainedBy); errors.Is(err, store.ErrNotFound) {
			return care.Invalid("obtained_by", "no such staff member")
		} else if err != nil {
			return err
		}
		if err := checkPatientRefs(ctx, tx, in.ID, in.Body); err != nil {
			return err
		}
		if c.AttachmentID.Valid {
			if ok, err := s.mayCite(ctx, tx, pr, in.ID, c.AttachmentID.String); err != nil {
				return err
			} else if !ok {
				return care.Invalid("attachment_id", "not an attachment of this patient")
			}
		}
		old, err := tx.Consents(ctx, in.ID)
		if err != nil {
			return err
		}
		active := false
		for _, o := range old {
			active = active || !o.WithdrawnAt.Valid
		}
		if care.ConsentNeedsForm(len(old) > 0, active) && !c.AttachmentID.Valid {
			return &care.Error{Code: care.CodeConsentFormRequired, Field: "attachment_id",
				Detail: "a consent after a withdrawal needs the scanned, signed form: upload it as an attachment of this patient first"}
		}
		if c.AttachmentID.Valid {
			// checkPatientRefs made sure it is this patient's attachment.
			for _, o := range old {
				if o.AttachmentID.String == c.AttachmentID.String {
					return care.Invalid("attachment_id", "the form of an earlier consent: scan the newly signed form")
				}
			}
		}
		for _, o := range old {
			if !o.WithdrawnAt.Valid {
				if err := tx.WithdrawConsent(ctx, o.ID, pr.User.ID, "superseded", now); err != nil {
					return err
				}
			}
		}
		if err := tx.CreateConsent(ctx, c); err != nil {
			return err
		}
		if err := s.consentChanged(ctx, tx, in.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "consent.create", in.ID, "consent", c.ID))
	})
	if err != nil {
		return nil, err
	}
	return &ConsentOutput{Body: consentOut(c)}, nil
}

type WithdrawConsentInput struct {
	ID        string `path:"id" format:"uuid"`
	ConsentID string `path:"cid" format:"uuid"`
	Body      struct {
		Reason string `json:"reason,omitempty" maxLength:"500"`
	}
}

// withdrawConsent stops sharing at once: every access decision reads the
// active consent, so team members lose the patient with this commit.
func (s *Server) withdrawConsent(ctx context.Context, in *WithdrawConsentInput) (*ConsentOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &ConsentOutput{}
	err = s.withPatient(ctx, pr, "consent.withdraw", in.ID, "consent", in.ConsentID, care.Registration, true, func(tx *store.Tx, _ patientScope) error {
		c, err := tx.Consent(ctx, in.ID, in.ConsentID)
		if err != nil {
			return err
		}
		if c.WithdrawnAt.Valid {
			return &care.Error{Code: care.CodeConsentWithdrawn}
		}
		now := s.now()
		if err := tx.WithdrawConsent(ctx, c.ID, pr.User.ID, clean(in.Body.Reason), now); err != nil {
			return err
		}
		c.WithdrawnAt.Time, c.WithdrawnAt.Valid = store.UTC(now), true
		c.WithdrawnBy, c.WithdrawalReason = nullString(pr.User.ID), nullString(clean(in.Body.Reason))
		out.Body = consentOut(c)
		if err := s.consentChanged(ctx, tx, in.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "consent.withdraw", in.ID, "consent", c.ID))
	})
	return out, err
}

// consentChanged records that sharing of the patient started or stopped:
// the team pulls the patient anew (or purges it).
func (s *Server) consentChanged(ctx context.Context, tx *store.Tx, patientID string) error {
	if err := s.changed(ctx, tx, store.Change{PatientID: patientID, Entity: "patient", EntityID: patientID}); err != nil {
		return err
	}
	return s.accessChanged(ctx, tx, patientID, "")
}
