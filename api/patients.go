package api

import (
	"context"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// PatientOut is a patient with the caller's standing towards them.
type PatientOut struct {
	ID         string `json:"id" format:"uuid"`
	FacilityID string `json:"facility_id" format:"uuid" doc:"registering (home) facility"`
	Name       string `json:"name"`
	NameKana   string `json:"name_kana"`
	BirthDate  string `json:"birth_date" format:"date"`
	Sex        string `json:"sex"`
	Address    string `json:"address"`
	Phone      string `json:"phone"`
	// 介護保険 numbers, the keys of the care-plan data standard (careplan.go).
	InsurerNumber string    `json:"insurer_number" doc:"保険者番号 (6 digits with its check digit); empty when not known"`
	InsuredNumber string    `json:"insured_number" doc:"被保険者番号 (10 digits); empty when not known"`
	Version       int64     `json:"version"`
	Access        string    `json:"access" enum:"chart,shared,registration" doc:"how far the caller reaches this patient"`
	TeamRole      string    `json:"team_role,omitempty" doc:"the caller's role on the care team"`
	Consent       string    `json:"consent" enum:"none,full,calendar_shared" doc:"scope of the active consent"`
	CanManage     bool      `json:"can_manage" doc:"whether the caller may edit demographics, consent and team"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

var levelNames = map[care.Level]string{care.Chart: "chart", care.Shared: "shared", care.Registration: "registration"}

func patientOut(p store.Patient, sc patientScope) PatientOut {
	consent := sc.Facts.ConsentScope
	if consent == "" {
		consent = "none"
	}
	return PatientOut{ID: p.ID, FacilityID: p.FacilityID, Name: p.Name, NameKana: p.NameKana, BirthDate: p.BirthDate, Sex: p.Sex,
		Address: p.Address, Phone: p.Phone, InsurerNumber: p.InsurerNumber, InsuredNumber: p.InsuredNumber, Version: p.Version, Access: levelNames[sc.Level], TeamRole: sc.Facts.TeamRole,
		Consent: consent, CanManage: sc.Manage, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

type PatientFields struct {
	Name      string `json:"name" minLength:"1" maxLength:"100"`
	NameKana  string `json:"name_kana" minLength:"1" maxLength:"100"`
	BirthDate string `json:"birth_date" format:"date"`
	Sex       string `json:"sex" enum:"female,male,other,unknown"`
	Address   string `json:"address" maxLength:"300"`
	Phone     string `json:"phone" maxLength:"20" pattern:"^[0-9+() -]*$"`
}

func (f PatientFields) validate(now time.Time) error {
	if err := validKana("name_kana", f.NameKana); err != nil {
		return err
	}
	return validDate("birth_date", f.BirthDate, now)
}

type CreatePatientInput struct {
	Body struct {
		ID         string `json:"id,omitempty" format:"uuid" doc:"client-generated UUIDv7"`
		FacilityID string `json:"facility_id,omitempty" format:"uuid" doc:"defaults to the caller's facility; must be it"`
		PatientFields
		InsurerNumber string `json:"insurer_number,omitempty" maxLength:"6" doc:"保険者番号: 6 digits, the last the check digit of the first five"`
		InsuredNumber string `json:"insured_number,omitempty" maxLength:"10" doc:"被保険者番号: 10 digits"`
	}
}

type PatientOutput struct{ Body PatientOut }

// createPatient registers a patient at the caller's facility, with the
// caller on the care team. Until a consent is recorded only the caller and
// the facility's admins see the patient.
func (s *Server) createPatient(ctx context.Context, in *CreatePatientInput) (*PatientOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	if pr.Viewer.FacilityID == "" || (b.FacilityID != "" && b.FacilityID != pr.Viewer.FacilityID) {
		return nil, s.denied(ctx, pr, "patient.create", "", "patient", b.ID, care.ErrForbidden)
	}
	now := s.now()
	if err := b.validate(now); err != nil {
		return nil, err
	}
	if err := validInsurance(&b.InsurerNumber, &b.InsuredNumber); err != nil {
		return nil, err
	}
	p := store.Patient{InsurerNumber: b.InsurerNumber, InsuredNumber: b.InsuredNumber, ID: b.ID, FacilityID: pr.Viewer.FacilityID, Name: clean(b.Name), NameKana: clean(b.NameKana), BirthDate: b.BirthDate,
		Sex: b.Sex, Address: clean(b.Address), Phone: b.Phone, CreatedAt: now, CreatedBy: pr.User.ID, UpdatedAt: now, Version: 1}
	if p.ID == "" {
		p.ID = s.newID()
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreatePatient(ctx, p); err != nil {
			return err
		}
		// The registrar joins the team, so that recording the consent (after
		// which only the team reaches the patient) does not lock them out.
		if err := tx.AddTeamMember(ctx, s.newID(), p.ID, pr.User.ID, care.DefaultRole(pr.User.Profession), pr.User.ID, now); err != nil {
			return err
		}
		if err := s.changed(ctx, tx, store.Change{PatientID: p.ID, Entity: "patient", EntityID: p.ID}); err != nil {
			return err
		}
		if err := s.accessChanged(ctx, tx, p.ID, pr.User.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "patient.create", p.ID, "patient", p.ID))
	})
	if err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = store.UTC(now), store.UTC(now)
	role := care.DefaultRole(pr.User.Profession)
	sc := patientScope{Facts: care.PatientFacts{Exists: true, PatientFacilityID: p.FacilityID, RegistrarID: p.CreatedBy, OnTeam: true, TeamRole: role},
		Level: care.Registration, Manage: true}
	return &PatientOutput{Body: patientOut(p, sc)}, nil
}

type CaseloadOutput struct {
	Body struct {
		Patients []PatientOut `json:"patients"`
	}
}

// listPatients returns the caller's caseload; each patient listed is an
// audited view.
func (s *Server) listPatients(ctx context.Context, _ *struct{}) (*CaseloadOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &CaseloadOutput{}
	out.Body.Patients = []PatientOut{}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		entries, err := tx.Caseload(ctx, pr.User.ID, pr.Viewer.FacilityID)
		if err != nil {
			return err
		}
		events := make([]*audit.Event, 0, len(entries))
		for _, e := range entries {
			facts := e.Facts()
			lvl := care.PatientAccess(s.opt.Care, pr.Viewer, facts)
			if lvl == care.None {
				continue
			}
			sc := patientScope{Facts: facts, Level: lvl, Manage: care.CanManage(pr.Viewer, facts, lvl)}
			out.Body.Patients = append(out.Body.Patients, patientOut(e.Patient, sc))
			events = append(events, s.event(ctx, pr, "patient.list", e.ID, "patient", e.ID))
		}
		return audit.Append(ctx, tx, events...)
	})
	return out, err
}

type PatientIDInput struct {
	ID string `path:"id" format:"uuid"`
}

type PatientDetail struct {
	PatientOut
	Consents []ConsentOut `json:"consents"`
}

type PatientDetailOutput struct{ Body PatientDetail }

func (s *Server) getPatient(ctx context.Context, in *PatientIDInput) (*PatientDetailOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &PatientDetailOutput{}
	err = s.withPatient(ctx, pr, "patient.read", in.ID, "patient", in.ID, care.Registration, false, func(tx *store.Tx, sc patientScope) error {
		p, err := tx.Patient(ctx, in.ID)
		if err != nil {
			return err
		}
		cs, err := tx.Consents(ctx, in.ID)
		if err != nil {
			return err
		}
		out.Body.PatientOut = patientOut(p, sc)
		out.Body.Consents = make([]ConsentOut, 0, len(cs))
		for _, c := range cs {
			out.Body.Consents = append(out.Body.Consents, consentOut(c))
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "patient.read", in.ID, "patient", in.ID))
	})
	return out, err
}

type UpdatePatientInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		Version int64 `json:"version" minimum:"1" doc:"the version the change is based on; a stale one answers 409"`
		PatientFields
		InsurerNumber *string `json:"insurer_number,omitempty" maxLength:"6" doc:"保険者番号: 6 digits, the last the check digit of the first five; empty clears; absent keeps"`
		InsuredNumber *string `json:"insured_number,omitempty" maxLength:"10" doc:"被保険者番号: 10 digits; empty clears; absent keeps"`
	}
}

func (s *Server) updatePatient(ctx context.Context, in *UpdatePatientInput) (*PatientOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := in.Body.validate(now); err != nil {
		return nil, err
	}
	if err := validInsurance(in.Body.InsurerNumber, in.Body.InsuredNumber); err != nil {
		return nil, err
	}
	out := &PatientOutput{}
	err = s.withPatient(ctx, pr, "patient.update", in.ID, "patient", in.ID, care.Registration, true, func(tx *store.Tx, sc patientScope) error {
		p, err := tx.Patient(ctx, in.ID)
		if err != nil {
			return err
		}
		if p.Version != in.Body.Version {
			return care.Errorf(care.CodeConflict, "patient version %d, change based on %d", p.Version, in.Body.Version)
		}
		b := in.Body
		p.Name, p.NameKana, p.BirthDate, p.Sex, p.Address, p.Phone, p.UpdatedAt = clean(b.Name), clean(b.NameKana), b.BirthDate, b.Sex, clean(b.Address), b.Phone, store.UTC(now)
		if b.InsurerNumber != nil {
			p.InsurerNumber = *b.InsurerNumber
		}
		if b.InsuredNumber != nil {
			p.InsuredNumber = *b.InsuredNumber
		}
		if err := tx.UpdatePatient(ctx, p); err != nil {
			return err
		}
		p.Version++
		out.Body = patientOut(p, sc)
		if err := s.changed(ctx, tx, store.Change{PatientID: p.ID, Entity: "patient", EntityID: p.ID}); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "patient.update", in.ID, "patient", in.ID))
	})
	return out, err
}

type AccessLogInput struct {
	ID     string `path:"id" format:"uuid"`
	Before int64  `query:"before" minimum:"0"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

type AccessLogEntry struct {
	audit.Event
	ActorName         string `json:"actor_name"`
	ActorProfession   string `json:"actor_profession"`
	ActorFacilityName string `json:"actor_facility_name" doc:"the name of the actor's facility when they acted (actor_facility_id; empty for the network office)"`
}

type AccessLogOutput struct {
	Body struct {
		Events []AccessLogEntry `json:"events"`
		Next   int64            `json:"next,omitempty"`
	}
}

// accessLog answers "who viewed this patient": for those who manage the
// patient and for network administrators (who see ids and actions, never
// the record itself).
func (s *Server) accessLog(ctx context.Context, in *AccessLogInput) (*AccessLogOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &AccessLogOutput{}
	out.Body.Events = []AccessLogEntry{}
	var refused error
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if pr.Viewer.NetworkAdmin {
			facts, err := tx.PatientFacts(ctx, in.ID, pr.User.ID)
			if err != nil {
				return err
			}
			if !facts.Exists {
				refused = care.ErrNotFound
				return refused
			}
		} else if _, err := s.access(ctx, tx, pr, in.ID, care.Registration, true); err != nil {
			refused = err
			return err
		}
		evs, err := audit.Query(ctx, tx, audit.Filter{PatientID: in.ID, BeforeSeq: in.Before, Limit: in.Limit})
		if err != nil {
			return err
		}
		names := map[string]store.User{}
		facilities := map[string]string{}
		for _, e := range evs {
			if _, ok := names[e.ActorID]; !ok && e.ActorID != "" {
				u, err := tx.User(ctx, e.ActorID)
				if err != nil && err != store.ErrNotFound {
					return err
				}
				names[e.ActorID] = u
			}
			if _, ok := facilities[e.ActorFacility]; !ok && e.ActorFacility != "" {
				f, err := tx.Facility(ctx, e.ActorFacility)
				if err != nil && err != store.ErrNotFound {
					return err
				}
				facilities[e.ActorFacility] = f.Name
			}
			u := names[e.ActorID]
			out.Body.Events = append(out.Body.Events, AccessLogEntry{Event: e, ActorName: u.Name, ActorProfession: u.Profession,
				ActorFacilityName: facilities[e.ActorFacility]})
		}
		if len(evs) == in.Limit && len(evs) > 0 {
			out.Body.Next = evs[len(evs)-1].Seq
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "patient.access_log", in.ID, "audit", ""))
	})
	if refused != nil {
		return nil, s.denied(ctx, pr, "patient.access_log", in.ID, "audit", "", refused)
	}
	return out, err
}
