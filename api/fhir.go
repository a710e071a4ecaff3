package api

import (
	"context"
	"errors"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"tsunagu/internal/care"
	"tsunagu/internal/fhir"
	"tsunagu/internal/store"
)

// FHIR R4 export (JP Core-aligned): what the caller reads of one patient as
// a Bundle, built by internal/fhir from exactly what the access rules give
// the caller — the same levels as the operations that read each part:
// demographics, consents and team from the Registration level, visits done
// and the shared records from the Shared level, chart records (and so their
// vital signs) only at the Chart level through the caller's record scope
// (care.RecordScopeFor, the timeline's and the pull's rule), and a
// consent's signed form only for those who manage the patient.

// fhirJSON is the media type of a FHIR resource in JSON.
const fhirJSON = "application/fhir+json"

type PatientFHIRInput struct {
	ID    string    `path:"id" format:"uuid"`
	Since time.Time `query:"since" doc:"only records and visits done at or after this instant (RFC 3339)"`
	Until time.Time `query:"until" doc:"only records and visits done before this instant (RFC 3339)"`
}

type FHIROutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

// patientFHIRResponses documents the export's body, which is FHIR JSON.
var patientFHIRResponses = map[string]*huma.Response{
	"200": {Description: "A FHIR R4 Bundle (type collection) of what the caller reads of the patient",
		Content: map[string]*huma.MediaType{fhirJSON: {Schema: &huma.Schema{Type: "object", Description: "FHIR R4 Bundle", AdditionalProperties: true}}}},
}

// exportPatientFHIR answers GET /patients/{id}/fhir, audited as an export
// (fhir.export); off the team it is the 404 of an unknown patient.
func (s *Server) exportPatientFHIR(ctx context.Context, in *PatientFHIRInput) (*FHIROutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if !in.Since.IsZero() && !in.Until.IsZero() && !in.Until.After(in.Since) {
		return nil, care.Invalid("until", "must be after since")
	}
	var rs []fhir.Resource
	err = s.readPatient(ctx, pr, "fhir.export", in.ID, "patient", in.ID, care.Registration, func(tx *store.Tx, sc patientScope) error {
		fin, err := s.fhirInput(ctx, tx, pr, in.ID, sc, in.Since, in.Until)
		if err != nil {
			return err
		}
		rs = fhir.Build(fin, fhir.RefURN)
		return nil
	})
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	body, err := fhir.Marshal(fhir.Bundle(id.String(), s.now(), rs))
	if err != nil {
		return nil, err
	}
	return &FHIROutput{ContentType: fhirJSON, Body: body}, nil
}

// fhirInput gathers, inside tx, what p reads of patient id at scope sc:
// records and visits done in [since, until) (either bound may be zero).
func (s *Server) fhirInput(ctx context.Context, tx *store.Tx, p *Principal, id string, sc patientScope, since, until time.Time) (fhir.Input, error) {
	in := fhir.Input{Loc: tokyo, Attachments: map[string]fhir.Attachment{},
		AttachmentURL: func(aid string) string { return s.opt.PublicURL + "/api/v1/attachments/" + aid + "?redirect=1" }}
	pt, err := tx.Patient(ctx, id)
	if err != nil {
		return in, err
	}
	in.Patient = fhir.Patient{ID: pt.ID, FacilityID: pt.FacilityID, Name: pt.Name, NameKana: pt.NameKana, BirthDate: pt.BirthDate,
		Sex: pt.Sex, Address: pt.Address, Phone: pt.Phone}
	g := &fhirGather{tx: tx, in: &in, people: map[string]bool{}, orgs: map[string]bool{}}
	if err := g.org(ctx, pt.FacilityID); err != nil {
		return in, err
	}

	team, err := tx.Team(ctx, id)
	if err != nil {
		return in, err
	}
	for _, m := range team {
		in.Team = append(in.Team, fhir.Member{ID: m.ID, UserID: m.UserID, Role: m.Role, Profession: m.Profession, FacilityID: m.FacilityID, AddedAt: m.AddedAt})
		if !g.people[m.UserID] {
			g.people[m.UserID] = true
			in.People = append(in.People, fhir.Person{ID: m.UserID, Name: m.Name, NameKana: m.NameKana, Profession: m.Profession,
				FacilityID: m.FacilityID, Active: m.Status == care.StatusActive})
		}
		if err := g.org(ctx, m.FacilityID); err != nil {
			return in, err
		}
	}

	consents, err := tx.Consents(ctx, id)
	if err != nil {
		return in, err
	}
	for _, c := range consents {
		fc := fhir.Consent{ID: c.ID, ObtainedOn: c.ObtainedOn, Scope: c.Scope, ObtainedBy: c.ObtainedBy, RecordedBy: c.RecordedBy, RecordedAt: c.RecordedAt}
		if c.WithdrawnAt.Valid {
			w := c.WithdrawnAt.Time
			fc.WithdrawnAt = &w
		}
		// The signed form is read by those who manage the patient
		// (care.AttachmentRead), as GET /attachments/{id} decides.
		if sc.Manage {
			fc.Pages = c.Pages
			if err := g.attachments(ctx, id, c.Pages); err != nil {
				return in, err
			}
			if err := g.person(ctx, c.RecordedBy); err != nil {
				return in, err
			}
		}
		in.Consents = append(in.Consents, fc)
	}
	if sc.Level < care.Shared {
		return in, nil
	}

	// Visits done (the calendar's rule: Shared level), series expanded.
	from, to := since, until
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	if to.IsZero() {
		to = s.now()
	}
	vs, err := tx.PatientVisits(ctx, id, from, to)
	if err != nil {
		return in, err
	}
	for _, v := range vs {
		for _, o := range occurrences(v, from, to) {
			if o.Status != care.VisitDone {
				continue
			}
			e := fhir.Encounter{VisitID: o.ID, OccurrenceStart: o.OccurrenceStart, Kind: o.Kind, Start: o.StartsAt, End: o.EndsAt,
				AllDay: o.AllDay, AssigneeIDs: o.AssigneeIDs, RecordID: o.RecordID}
			for _, a := range o.AssigneeIDs {
				if err := g.person(ctx, a); err != nil {
					return in, err
				}
			}
			in.Encounters = append(in.Encounters, e)
		}
	}

	// Records: the timeline's query under the caller's record scope, page
	// by page.
	q := store.TimelineQuery{PatientID: id, Scope: care.RecordScopeFor(p.Viewer, sc.Level), From: since, To: until, Limit: 200}
	for {
		items, err := tx.Timeline(ctx, q)
		if err != nil {
			return in, err
		}
		for _, it := range items {
			r := fhir.Record{ID: it.ID, Kind: it.Kind, AuthorID: it.AuthorID, AuthorFacilityID: it.AuthorFacilityID,
				OccurredAt: it.OccurredAt, CreatedAt: it.CreatedAt, UpdatedAt: it.Current.CreatedAt, Version: it.Current.Version,
				Status: it.Current.Status, Content: it.Current.Content}
			if it.VisitID.Valid {
				r.VisitID = it.VisitID.String
			}
			if err := g.person(ctx, it.AuthorID); err != nil {
				return in, err
			}
			if err := g.org(ctx, it.AuthorFacilityID); err != nil {
				return in, err
			}
			if err := g.attachments(ctx, id, it.Current.Content.AttachmentIDs); err != nil {
				return in, err
			}
			in.Records = append(in.Records, r)
		}
		if len(items) < q.Limit {
			break
		}
		last := items[len(items)-1]
		q.Before = &store.TimelineKey{OccurredAt: last.OccurredAt, ID: last.ID}
	}
	return in, nil
}

// fhirGather adds the people, organizations and attachments an export
// names, each once.
type fhirGather struct {
	tx     *store.Tx
	in     *fhir.Input
	people map[string]bool
	orgs   map[string]bool
}

func (g *fhirGather) org(ctx context.Context, id string) error {
	if id == "" || g.orgs[id] {
		return nil
	}
	g.orgs[id] = true
	f, err := g.tx.Facility(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	g.in.Organizations = append(g.in.Organizations, fhir.Organization{ID: f.ID, Name: f.Name, NameKana: f.NameKana, Kind: f.Kind})
	return nil
}

// person adds a staff member by id: only name, kana, profession and
// facility leave (never a login id or anything of the account).
func (g *fhirGather) person(ctx context.Context, id string) error {
	if id == "" || g.people[id] {
		return nil
	}
	g.people[id] = true
	u, err := g.tx.User(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	g.in.People = append(g.in.People, fhir.Person{ID: u.ID, Name: u.Name, NameKana: u.NameKana, Profession: u.Profession,
		FacilityID: u.FacilityID.String, Active: u.Status == care.StatusActive})
	return g.org(ctx, u.FacilityID.String)
}

// attachments adds the metadata of attachments ids of patient patientID
// (never their bytes: the export links to the authorised download).
func (g *fhirGather) attachments(ctx context.Context, patientID string, ids []string) error {
	for _, id := range ids {
		if _, ok := g.in.Attachments[id]; ok {
			continue
		}
		a, err := g.tx.Attachment(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if a.PatientID != patientID {
			continue
		}
		g.in.Attachments[id] = fhir.Attachment{ID: a.ID, ContentType: a.ContentType, Size: a.Size, UploadedAt: a.UploadedAt}
	}
	return nil
}
