package api

import (
	"context"
	"strings"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

type FacilityOut struct {
	ID           string    `json:"id" format:"uuid"`
	Name         string    `json:"name"`
	NameKana     string    `json:"name_kana"`
	Kind         string    `json:"kind"`
	Disclosure   string    `json:"disclosure" doc:"what chart content of this facility's staff other facilities see: full or shared_only"`
	OfficeNumber string    `json:"office_number" doc:"介護保険事業所番号 (10 digits); empty when it has none"`
	CreatedAt    time.Time `json:"created_at"`
}

func facilityOut(f store.Facility) FacilityOut {
	return FacilityOut{ID: f.ID, Name: f.Name, NameKana: f.NameKana, Kind: f.Kind, Disclosure: f.Disclosure, OfficeNumber: f.OfficeNumber, CreatedAt: f.CreatedAt}
}

type CreateFacilityInput struct {
	Body struct {
		ID           string `json:"id,omitempty" format:"uuid" doc:"client-generated UUIDv7; made by the server when absent"`
		Name         string `json:"name" minLength:"1" maxLength:"200"`
		NameKana     string `json:"name_kana" minLength:"1" maxLength:"200"`
		Kind         string `json:"kind" enum:"hospital,clinic,dental_clinic,pharmacy,nursing_station,care_management,care_service,other"`
		Disclosure   string `json:"disclosure,omitempty" enum:"full,shared_only" default:"full"`
		OfficeNumber string `json:"office_number,omitempty" maxLength:"10" doc:"介護保険事業所番号: 10 digits"`
	}
}

type FacilityOutput struct{ Body FacilityOut }

func (s *Server) createFacility(ctx context.Context, in *CreateFacilityInput) (*FacilityOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if !p.Viewer.NetworkAdmin {
		return nil, s.denied(ctx, p, "facility.create", "", "facility", "", &care.Error{Code: care.CodeAdminOnly})
	}
	if err := validKana("name_kana", in.Body.NameKana); err != nil {
		return nil, err
	}
	if err := validOfficeNumber(in.Body.OfficeNumber); err != nil {
		return nil, err
	}
	f := store.Facility{ID: in.Body.ID, Name: clean(in.Body.Name), NameKana: clean(in.Body.NameKana), Kind: in.Body.Kind,
		Disclosure: in.Body.Disclosure, OfficeNumber: in.Body.OfficeNumber, CreatedAt: s.now()}
	if f.ID == "" {
		f.ID = s.newID()
	}
	if f.Disclosure == "" {
		f.Disclosure = care.DisclosureFull
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateFacility(ctx, f, p.User.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, p, "facility.create", "", "facility", f.ID))
	})
	if err != nil {
		return nil, err
	}
	return &FacilityOutput{Body: facilityOut(store.Facility{ID: f.ID, Name: f.Name, NameKana: f.NameKana, Kind: f.Kind, Disclosure: f.Disclosure, OfficeNumber: f.OfficeNumber, CreatedAt: store.UTC(f.CreatedAt)})}, nil
}

type FacilitiesOutput struct {
	Body struct {
		Facilities []FacilityOut `json:"facilities"`
	}
}

// listFacilities is the network's facility directory, for any signed-in user.
func (s *Server) listFacilities(ctx context.Context, _ *struct{}) (*FacilitiesOutput, error) {
	if _, err := s.authenticate(ctx); err != nil {
		return nil, err
	}
	out := &FacilitiesOutput{}
	out.Body.Facilities = []FacilityOut{}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		fs, err := tx.Facilities(ctx)
		for _, f := range fs {
			out.Body.Facilities = append(out.Body.Facilities, facilityOut(f))
		}
		return err
	})
	return out, err
}

type UpdateFacilityInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		Name         *string `json:"name,omitempty" minLength:"1" maxLength:"200"`
		NameKana     *string `json:"name_kana,omitempty" minLength:"1" maxLength:"200"`
		Kind         *string `json:"kind,omitempty" enum:"hospital,clinic,dental_clinic,pharmacy,nursing_station,care_management,care_service,other" doc:"refused (409 profession_not_employed) while staff that are not revoked have a profession the new kind does not employ"`
		Disclosure   *string `json:"disclosure,omitempty" enum:"full,shared_only"`
		OfficeNumber *string `json:"office_number,omitempty" maxLength:"10" doc:"介護保険事業所番号: 10 digits; empty clears"`
	}
}

// updateFacility: network admins edit a facility's name, kana, kind and
// disclosure; anyone else is refused (403 admin_only, audited). Audited as
// facility.update with the names of the fields that changed as detail.
//
// A facility's kind decides which professions its admin may give
// (care.Employs). A new kind is refused with 409 profession_not_employed
// while any account of the facility that is not revoked has a profession
// the new kind does not employ — also one the network office granted as an
// exception — so that no account is silently left outside the table: the
// office first changes those professions or revokes those accounts.
//
// A change of disclosure changes who reads the chart records the
// facility's staff wrote: every patient with such records gets an access
// change for the whole team, so that devices read those patients afresh
// (records now hidden leave them, records now shown arrive).
func (s *Server) updateFacility(ctx context.Context, in *UpdateFacilityInput) (*FacilityOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if !p.Viewer.NetworkAdmin {
		return nil, s.denied(ctx, p, "facility.update", "", "facility", in.ID, &care.Error{Code: care.CodeAdminOnly})
	}
	b := in.Body
	if b.NameKana != nil {
		if err := validKana("name_kana", *b.NameKana); err != nil {
			return nil, err
		}
	}
	if b.OfficeNumber != nil {
		if err := validOfficeNumber(*b.OfficeNumber); err != nil {
			return nil, err
		}
	}
	var f store.Facility
	var refused error
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if f, err = tx.Facility(ctx, in.ID); err != nil {
			return err
		}
		before := f
		if b.Name != nil {
			f.Name = clean(*b.Name)
		}
		if b.NameKana != nil {
			f.NameKana = clean(*b.NameKana)
		}
		if b.Kind != nil {
			f.Kind = *b.Kind
		}
		if b.Disclosure != nil {
			f.Disclosure = *b.Disclosure
		}
		if b.OfficeNumber != nil {
			f.OfficeNumber = *b.OfficeNumber
		}
		changed := facilityChanges(before, f)
		if f.Kind != before.Kind {
			profs, err := tx.StaffProfessions(ctx, f.ID)
			if err != nil {
				return err
			}
			var unemployed []string
			for _, prof := range profs {
				if !care.FacilityEmploys(f.Kind, prof) {
					unemployed = append(unemployed, prof)
				}
			}
			if len(unemployed) > 0 {
				refused = &care.Error{Code: care.CodeProfessionNotEmployed, Field: "kind",
					Detail: "the new kind does not employ the profession of some staff (" + strings.Join(unemployed, ",") + ")"}
				return refused
			}
		}
		if err := tx.UpdateFacility(ctx, f); err != nil {
			return err
		}
		if f.Disclosure != before.Disclosure {
			pids, err := tx.PatientsWithChartBy(ctx, f.ID)
			if err != nil {
				return err
			}
			for _, pid := range pids {
				if err := s.accessChanged(ctx, tx, pid, ""); err != nil {
					return err
				}
			}
		}
		e := s.event(ctx, p, "facility.update", "", "facility", f.ID)
		e.Detail = strings.Join(changed, ",")
		return audit.Append(ctx, tx, e)
	})
	if refused != nil {
		return nil, s.denied(ctx, p, "facility.update", "", "facility", in.ID, refused)
	}
	if err != nil {
		return nil, err
	}
	return &FacilityOutput{Body: facilityOut(f)}, nil
}

// facilityChanges names the fields that differ between before and after.
func facilityChanges(before, after store.Facility) []string {
	var changed []string
	for _, c := range []struct {
		name string
		diff bool
	}{
		{"name", before.Name != after.Name}, {"name_kana", before.NameKana != after.NameKana},
		{"kind", before.Kind != after.Kind}, {"disclosure", before.Disclosure != after.Disclosure},
		{"office_number", before.OfficeNumber != after.OfficeNumber},
	} {
		if c.diff {
			changed = append(changed, c.name)
		}
	}
	return changed
}
