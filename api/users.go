package api

import (
	"context"
	"errors"
	"slices"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

type CreateUserInput struct {
	Body struct {
		ID         string   `json:"id,omitempty" format:"uuid"`
		LoginID    string   `json:"login_id" minLength:"3" maxLength:"64" pattern:"^[A-Za-z0-9._@-]+$" doc:"personal login id; shared ids are not allowed"`
		Name       string   `json:"name" minLength:"1" maxLength:"100"`
		NameKana   string   `json:"name_kana" minLength:"1" maxLength:"100"`
		Profession string   `json:"profession" enum:"doctor,dentist,pharmacist,nurse,msw,care_manager,care_worker,therapist,dietitian,other"`
		FacilityID string   `json:"facility_id" format:"uuid"`
		Roles      []string `json:"roles,omitempty" maxItems:"2" enum:"network_admin,facility_admin"`
		Password   string   `json:"password" minLength:"1" maxLength:"256" doc:"initial password; it must be changed at first sign-in"`
	}
}

type UserOutput struct{ Body UserOut }

// createUser: network admins create any account; facility admins create
// staff of their own facility only. The initial password must be changed
// at first sign-in.
func (s *Server) createUser(ctx context.Context, in *CreateUserInput) (*UserOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	netAdmin := slices.Contains(b.Roles, "network_admin")
	if !care.CanManageUser(p.Viewer, b.FacilityID, netAdmin) {
		return nil, s.denied(ctx, p, "user.create", "", "account", "", &care.Error{Code: care.CodeAdminOnly})
	}
	if err := validKana("name_kana", b.NameKana); err != nil {
		return nil, err
	}
	login := normalizeLogin(b.LoginID)
	if reason := s.opt.Password.Problem(b.Password, login, b.Name, b.NameKana); reason != "" {
		return nil, &care.Error{Code: care.CodePasswordPolicy, Field: "password", Detail: reason}
	}
	hash, err := s.hasher.Hash(ctx, b.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := store.User{ID: b.ID, FacilityID: nullString(b.FacilityID), LoginID: login, Name: clean(b.Name), NameKana: clean(b.NameKana),
		Profession: b.Profession, NetworkAdmin: netAdmin, FacilityAdmin: slices.Contains(b.Roles, "facility_admin"),
		PasswordHash: hash, PasswordChangedAt: now, MustChangePassword: true, Status: care.StatusActive,
		LastActiveAt: now, CreatedAt: now, UpdatedAt: now}
	if u.ID == "" {
		u.ID = s.newID()
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Facility(ctx, b.FacilityID); errors.Is(err, store.ErrNotFound) {
			return care.Invalid("facility_id", "no such facility")
		} else if err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u); errors.Is(err, store.ErrLoginIDTaken) {
			return &care.Error{Code: care.CodeLoginIDTaken, Field: "login_id"}
		} else if err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, p, "user.create", "", "account", u.ID))
	})
	if err != nil {
		return nil, err
	}
	u.CreatedAt, u.LastActiveAt, u.PasswordChangedAt = store.UTC(now), store.UTC(now), store.UTC(now)
	return &UserOutput{Body: s.userOut(u, true)}, nil
}

type ListUsersInput struct {
	FacilityID string `query:"facility_id" format:"uuid" doc:"only staff of this facility"`
}

type UsersOutput struct {
	Body struct {
		Users []UserOut `json:"users"`
	}
}

// listUsers is the staff directory (to add team members from any facility).
// Administrators also see login ids and account state of those they manage;
// others see active staff only.
func (s *Server) listUsers(ctx context.Context, in *ListUsersInput) (*UsersOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &UsersOutput{}
	out.Body.Users = []UserOut{}
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		us, err := tx.Users(ctx, in.FacilityID)
		for _, u := range us {
			admin := care.CanManageUser(p.Viewer, u.FacilityID.String, u.NetworkAdmin)
			if !admin && u.Status != care.StatusActive {
				continue
			}
			out.Body.Users = append(out.Body.Users, s.userOut(u, admin || u.ID == p.User.ID))
		}
		return err
	})
	return out, err
}

type UpdateUserInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		Name       *string   `json:"name,omitempty" minLength:"1" maxLength:"100"`
		NameKana   *string   `json:"name_kana,omitempty" minLength:"1" maxLength:"100"`
		Profession *string   `json:"profession,omitempty" enum:"doctor,dentist,pharmacist,nurse,msw,care_manager,care_worker,therapist,dietitian,other"`
		Roles      *[]string `json:"roles,omitempty" maxItems:"2" enum:"network_admin,facility_admin"`
		Status     *string   `json:"status,omitempty" enum:"active,suspended,revoked" doc:"suspended and revoked accounts lose every session at once; revoked is final"`
		Password   *string   `json:"password,omitempty" minLength:"1" maxLength:"256" doc:"a new initial password (must be changed at next sign-in)"`
		ResetTOTP  bool      `json:"reset_totp,omitempty" doc:"forget the TOTP secret so the user enrols again"`
	}
}

func (s *Server) updateUser(ctx context.Context, in *UpdateUserInput) (*UserOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	var hash string
	if b.Password != nil {
		if hash, err = s.hasher.Hash(ctx, *b.Password); err != nil {
			return nil, err
		}
	}
	if b.NameKana != nil {
		if err := validKana("name_kana", *b.NameKana); err != nil {
			return nil, err
		}
	}
	var u store.User
	var refused error
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		u, err = tx.User(ctx, in.ID)
		if errors.Is(err, store.ErrNotFound) {
			refused = care.ErrNotFound
			return refused
		}
		if err != nil {
			return err
		}
		wantNet := u.NetworkAdmin
		if b.Roles != nil {
			wantNet = slices.Contains(*b.Roles, "network_admin")
		}
		if !care.CanManageUser(p.Viewer, u.FacilityID.String, u.NetworkAdmin) || !care.CanManageUser(p.Viewer, u.FacilityID.String, wantNet) {
			refused = &care.Error{Code: care.CodeAdminOnly}
			return refused
		}
		now := s.now()
		if b.Name != nil {
			u.Name = clean(*b.Name)
		}
		if b.NameKana != nil {
			u.NameKana = clean(*b.NameKana)
		}
		if b.Profession != nil {
			u.Profession = *b.Profession
		}
		if b.Roles != nil {
			u.NetworkAdmin, u.FacilityAdmin = wantNet, slices.Contains(*b.Roles, "facility_admin")
		}
		if b.Status != nil && *b.Status != u.Status {
			if u.Status == care.StatusRevoked {
				return care.Errorf(care.CodeConflict, "revoked accounts stay revoked")
			}
			if u.ID == p.User.ID {
				return care.Invalid("status", "administrators cannot change their own status")
			}
			u.Status = *b.Status
			if u.Status == care.StatusActive {
				u.LastActiveAt = now // reactivated: the dormancy clock starts again
			}
		}
		if b.Password != nil {
			if reason := s.opt.Password.Problem(*b.Password, u.LoginID, u.Name, u.NameKana); reason != "" {
				return &care.Error{Code: care.CodePasswordPolicy, Field: "password", Detail: reason}
			}
			u.PasswordHash, u.PasswordChangedAt, u.MustChangePassword = hash, now, true
		}
		if b.ResetTOTP {
			u.TOTPSecret, u.TOTPPendingSecret = nullString(""), nullString("")
		}
		u.UpdatedAt = now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if u.Status != care.StatusActive || b.Password != nil || b.ResetTOTP {
			if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, s.event(ctx, p, "user.update", "", "account", u.ID))
	})
	if refused != nil {
		return nil, s.denied(ctx, p, "user.update", "", "account", in.ID, refused)
	}
	if err != nil {
		return nil, err
	}
	return &UserOutput{Body: s.userOut(u, true)}, nil
}
