package api

import (
	"context"
	"errors"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

type TeamMemberOut struct {
	UserID       string    `json:"user_id" format:"uuid"`
	Role         string    `json:"role"`
	Name         string    `json:"name"`
	NameKana     string    `json:"name_kana"`
	Profession   string    `json:"profession"`
	FacilityID   string    `json:"facility_id"`
	FacilityName string    `json:"facility_name"`
	FacilityKind string    `json:"facility_kind" doc:"the kind of the member's facility (clinic, nursing_station, ...)"`
	Status       string    `json:"status" enum:"active,suspended,revoked" doc:"the member's account: a suspended (or dormant) or revoked member stays listed but reaches nothing until removed or reactivated"`
	AddedAt      time.Time `json:"added_at"`
}

type TeamOutput struct {
	Body struct {
		Members []TeamMemberOut `json:"members"`
	}
}

func (s *Server) getTeam(ctx context.Context, in *PatientIDInput) (*TeamOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &TeamOutput{}
	err = s.withPatient(ctx, pr, "team.read", in.ID, "team", in.ID, care.Registration, false, func(tx *store.Tx, _ patientScope) error {
		ms, err := tx.Team(ctx, in.ID)
		if err != nil {
			return err
		}
		out.Body.Members = teamOut(ms)
		return audit.Append(ctx, tx, s.event(ctx, pr, "team.read", in.ID, "team", in.ID))
	})
	return out, err
}

type AddTeamMemberInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		UserID string `json:"user_id" format:"uuid"`
		Role   string `json:"role" enum:"primary_physician,deputy_physician,visiting_nurse,care_manager,visiting_pharmacist,nurse_aide,helper,other"`
	}
}

// addTeamMember adds staff of any facility to the patient's team.
func (s *Server) addTeamMember(ctx context.Context, in *AddTeamMemberInput) (*TeamOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	err = s.withPatient(ctx, pr, "team.add", in.ID, "team_member", in.Body.UserID, care.Registration, true, func(tx *store.Tx, _ patientScope) error {
		u, err := tx.User(ctx, in.Body.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return care.Invalid("user_id", "no such staff member")
		}
		if err != nil {
			return err
		}
		if u.Status != care.StatusActive {
			return &care.Error{Code: care.CodeMemberNotActive, Field: "user_id", Detail: "only an active account can join a care team"}
		}
		if !u.FacilityID.Valid {
			return care.Invalid("user_id", "only staff of a facility can join a care team")
		}
		if err := tx.AddTeamMember(ctx, s.newID(), in.ID, u.ID, in.Body.Role, pr.User.ID, s.now()); errors.Is(err, store.ErrAlreadyOnTeam) {
			return &care.Error{Code: care.CodeAlreadyOnTeam, Field: "user_id"}
		} else if err != nil {
			return err
		}
		if err := s.changed(ctx, tx, store.Change{PatientID: in.ID, Entity: "team", EntityID: in.ID}); err != nil {
			return err
		}
		if err := s.accessChanged(ctx, tx, in.ID, u.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "team.add", in.ID, "team_member", u.ID))
	})
	if err != nil {
		return nil, err
	}
	return s.getTeam(ctx, &PatientIDInput{ID: in.ID})
}

type RemoveTeamMemberInput struct {
	ID     string `path:"id" format:"uuid"`
	UserID string `path:"user_id" format:"uuid"`
}

// removeTeamMember ends a membership; the member loses the patient at once.
func (s *Server) removeTeamMember(ctx context.Context, in *RemoveTeamMemberInput) (*struct{}, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	err = s.withPatient(ctx, pr, "team.remove", in.ID, "team_member", in.UserID, care.Registration, true, func(tx *store.Tx, _ patientScope) error {
		if err := tx.RemoveTeamMember(ctx, in.ID, in.UserID, pr.User.ID, s.now()); err != nil {
			return err
		}
		if err := s.changed(ctx, tx, store.Change{PatientID: in.ID, Entity: "team", EntityID: in.ID}, in.UserID); err != nil {
			return err
		}
		if err := s.accessChanged(ctx, tx, in.ID, in.UserID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, pr, "team.remove", in.ID, "team_member", in.UserID))
	})
	return nil, err
}

func teamOut(ms []store.TeamMember) []TeamMemberOut {
	out := make([]TeamMemberOut, 0, len(ms))
	for _, m := range ms {
		out = append(out, TeamMemberOut{UserID: m.UserID, Role: m.Role, Name: m.Name, NameKana: m.NameKana,
			Profession: m.Profession, FacilityID: m.FacilityID, FacilityName: m.FacilityName, FacilityKind: m.FacilityKind,
			Status: memberStatus(m.Status), AddedAt: m.AddedAt})
	}
	return out
}

// memberStatus is a member's account status as the team shows it: a dormant
// account (unused for long; an administrator reactivates it) is suspended.
func memberStatus(status string) string {
	switch status {
	case care.StatusActive, care.StatusRevoked:
		return status
	}
	return care.StatusSuspended
}

// teamsChanged resends the team of every patient userID is a member of
// (its status or name shows there).
func (s *Server) teamsChanged(ctx context.Context, tx *store.Tx, userID string) error {
	ids, err := tx.UserTeamPatientIDs(ctx, userID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.changed(ctx, tx, store.Change{PatientID: id, Entity: "team", EntityID: id}); err != nil {
			return err
		}
	}
	return nil
}
