package api

import (
	"context"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

type FacilityOut struct {
	ID         string    `json:"id" format:"uuid"`
	Name       string    `json:"name"`
	NameKana   string    `json:"name_kana"`
	Kind       string    `json:"kind"`
	Disclosure string    `json:"disclosure" doc:"what chart content of this facility's staff other facilities see: full or shared_only"`
	CreatedAt  time.Time `json:"created_at"`
}

func facilityOut(f store.Facility) FacilityOut {
	return FacilityOut{ID: f.ID, Name: f.Name, NameKana: f.NameKana, Kind: f.Kind, Disclosure: f.Disclosure, CreatedAt: f.CreatedAt}
}

type CreateFacilityInput struct {
	Body struct {
		ID         string `json:"id,omitempty" format:"uuid" doc:"client-generated UUIDv7; made by the server when absent"`
		Name       string `json:"name" minLength:"1" maxLength:"200"`
		NameKana   string `json:"name_kana" minLength:"1" maxLength:"200"`
		Kind       string `json:"kind" enum:"hospital,clinic,dental_clinic,pharmacy,nursing_station,care_management,care_service,other"`
		Disclosure string `json:"disclosure,omitempty" enum:"full,shared_only" default:"full"`
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
	f := store.Facility{ID: in.Body.ID, Name: clean(in.Body.Name), NameKana: clean(in.Body.NameKana), Kind: in.Body.Kind,
		Disclosure: in.Body.Disclosure, CreatedAt: s.now()}
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
	return &FacilityOutput{Body: facilityOut(store.Facility{ID: f.ID, Name: f.Name, NameKana: f.NameKana, Kind: f.Kind, Disclosure: f.Disclosure, CreatedAt: store.UTC(f.CreatedAt)})}, nil
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
