package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	AttachmentID     string     `json:"attachment_id,omitempty" doc:"the first page of the signed form"`
	AttachmentIDs    []string   `json:"attachment_ids" doc:"the pages of the signed form, in order (empty when none was photographed)"`
	Active           bool       `json:"active"`
	WithdrawnAt      *time.Time `json:"withdrawn_at,omitempty"`
	WithdrawnBy      string     `json:"withdrawn_by,omitempty"`
	WithdrawalReason string     `json:"withdrawal_reason,omitempty"`
}

func consentOut(c store.Consent) ConsentOut {
	o := ConsentOut{ID: c.ID, ObtainedOn: c.ObtainedOn, Scope: c.Scope, ObtainedBy: c.ObtainedBy, RecordedBy: c.RecordedBy,
		RecordedAt: c.RecordedAt, AttachmentID: c.AttachmentID.String, AttachmentIDs: c.Pages, Active: !c.WithdrawnAt.Valid,
		WithdrawnBy: c.WithdrawnBy.String, WithdrawalReason: c.WithdrawalReason.String}
	if o.AttachmentIDs == nil {
		o.AttachmentIDs = []string{}
	}
	if c.WithdrawnAt.Valid {
		t := c.WithdrawnAt.Time
		o.WithdrawnAt = &t
	}
	return o
}

// maxConsentPages is how many pages a signed consent form may have.
const maxConsentPages = 20

type CreateConsentInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		ConsentID     string   `json:"id,omitempty" format:"uuid"`
		ObtainedOn    string   `json:"obtained_on" format:"date"`
		Scope         string   `json:"scope" enum:"full,calendar_shared" doc:"full: chart, calendar and notes; calendar_shared: calendar and shared notes only"`
		ObtainedBy    string   `json:"obtained_by,omitempty" format:"uuid" doc:"staff who obtained the signature; defaults to the caller"`
		AttachmentID  string   `json:"attachment_id,omitempty" format:"uuid" doc:"a one-page signed form (as attachment_ids with one page); not together with attachment_ids"`
		AttachmentIDs []string `json:"attachment_ids,omitempty" minItems:"1" maxItems:"20" doc:"the pages of the signed form, in order: attachments of this patient, uploaded first. A consent after a withdrawal needs the form (422 consent_form_required)"`
	}
}

type ConsentOutput struct{ Body ConsentOut }

// consentPages reads the pages of the signed form from a consent's body:
// attachment_ids in order, or attachment_id as a one-page form. field
// names the body field of page i for a refusal.
func consentPages(in *CreateConsentInput) (pages []string, field func(i int) string, err error) {
	b := in.Body
	if b.AttachmentID != "" && len(b.AttachmentIDs) > 0 {
		return nil, nil, care.Invalid("attachment_ids", "send the pages in attachment_ids or a one-page form in attachment_id, not both")
	}
	if b.AttachmentID != "" {
		return []string{b.AttachmentID}, func(int) string { return "attachment_id" }, nil
	}
	if len(b.AttachmentIDs) > maxConsentPages {
		return nil, nil, care.Invalid("attachment_ids", "a form has at most %d pages", maxConsentPages)
	}
	field = func(i int) string { return fmt.Sprintf("attachment_ids[%d]", i) }
	for i, id := range b.AttachmentIDs {
		if slices.Contains(b.AttachmentIDs[:i], id) {
			return nil, nil, care.Invalid(field(i), "the same page twice")
		}
	}
	return b.AttachmentIDs, field, nil
}

// createConsent records a consent; sharing with the team starts at once.
// An active consent it replaces is closed as superseded in the same write.
// After a withdrawal only those who register the patient reach it (the
// registrar, the registering facility's admins), and the new consent must
// cite the signed form (care.ConsentNeedsForm). The form's pages are
// citations: those who manage the patient read them (care.AttachmentRead).
// It is also the sync mutation consent.create.
func (s *Server) createConsent(ctx context.Context, in *CreateConsentInput) (*ConsentOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := validDate("obtained_on", in.Body.ObtainedOn, now); err != nil {
		return nil, err
	}
	pages, pageField, err := consentPages(in)
	if err != nil {
		return nil, err
	}
	c := store.Consent{ID: in.Body.ConsentID, PatientID: in.ID, ObtainedOn: in.Body.ObtainedOn, Scope: in.Body.Scope,
		ObtainedBy: in.Body.ObtainedBy, RecordedBy: pr.User.ID, RecordedAt: store.UTC(now), Pages: pages}
	if len(pages) > 0 {
		c.AttachmentID = nullString(pages[0])
	}
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
		for i, id := range pages {
			if ok, err := s.mayCite(ctx, tx, pr, in.ID, id); err != nil {
				return err
			} else if !ok {
				return care.Invalid(pageField(i), "not an attachment of this patient")
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
		if care.ConsentNeedsForm(len(old) > 0, active) && len(pages) == 0 {
			return &care.Error{Code: care.CodeConsentFormRequired, Field: "attachment_id",
				Detail: "a consent after a withdrawal needs the signed form: upload its pages as attachments of this patient first and send them in attachment_ids"}
		}
		// checkPatientRefs made sure the pages are this patient's attachments.
		for i, id := range pages {
			for _, o := range old {
				if slices.Contains(o.Pages, id) || o.AttachmentID.String == id {
					return care.Invalid(pageField(i), "a page of an earlier consent's form: photograph the newly signed form")
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
