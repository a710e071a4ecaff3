package api

import (
	"context"
	"strings"
	"unicode"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

type ListUsersInput struct {
	Q          string `query:"q" maxLength:"100" doc:"words that must each match the name, the kana (hiragana and katakana alike; spaces do not count) or, for accounts the caller manages, the login id"`
	FacilityID string `query:"facility_id" format:"uuid" doc:"only staff of this facility"`
	Profession string `query:"profession" enum:"doctor,dentist,pharmacist,nurse,msw,care_manager,care_worker,therapist,dietitian,other" doc:"only staff of this profession"`
	Status     string `query:"status" enum:"active,suspended,dormant,revoked" doc:"only accounts in this state; other than active, only accounts the caller manages"`
	Limit      int    `query:"limit" minimum:"1" maximum:"500" default:"100" doc:"at most this many, by kana"`
}

type UsersOutput struct {
	Body struct {
		Users []UserOut `json:"users"`
	}
}

// listUsers is the staff directory (to add team members from any facility)
// and the administrators' account search. Everyone sees active staff;
// administrators also see the accounts they manage (care.CanManageUser) in
// any state, with their login ids and account state, and find them by
// login id. The filtering is done by the database (store.SearchStaff).
func (s *Server) listUsers(ctx context.Context, in *ListUsersInput) (*UsersOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	q := store.StaffQuery{Terms: strings.FieldsFunc(in.Q, unicode.IsSpace), FacilityID: in.FacilityID, Profession: in.Profession,
		Status: in.Status, Limit: in.Limit, ManagesAll: p.Viewer.NetworkAdmin}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if !q.ManagesAll && p.Viewer.FacilityAdmin {
		q.ManagesFacility = p.Viewer.FacilityID
	}
	out := &UsersOutput{}
	out.Body.Users = []UserOut{}
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.SearchStaff(ctx, q)
		for _, r := range rows {
			admin := care.CanManageUser(p.Viewer, r.FacilityID.String, r.NetworkAdmin)
			if !admin && r.Status != care.StatusActive { // the query's own rule, kept here too
				continue
			}
			u := s.userOut(r.User, admin || r.ID == p.User.ID)
			u.FacilityName = r.FacilityName
			out.Body.Users = append(out.Body.Users, u)
		}
		return err
	})
	return out, err
}
