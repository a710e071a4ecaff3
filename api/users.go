package api

import (
	"context"
	"errors"
	"slices"
	"strings"

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
// staff of their own facility only, of the professions its kind employs
// (care.Employs). The initial password must be changed at first sign-in.
// The profession and roles given are audited as changes of their own
// (user.profession.change, user.roles.change).
func (s *Server) createUser(ctx context.Context, in *CreateUserInput) (*UserOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	netAdmin := slices.Contains(b.Roles, "network_admin")
	given := grants(store.User{}, store.User{Profession: b.Profession, NetworkAdmin: netAdmin, FacilityAdmin: slices.Contains(b.Roles, "facility_admin")})
	if !care.CanManageUser(p.Viewer, b.FacilityID, netAdmin) {
		return nil, s.deniedUser(ctx, p, b.ID, &care.Error{Code: care.CodeAdminOnly}, "user.create", given)
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
	var refused error
	var facilityName string
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		f, err := tx.Facility(ctx, b.FacilityID)
		if errors.Is(err, store.ErrNotFound) {
			return care.Invalid("facility_id", "no such facility")
		} else if err != nil {
			return err
		}
		if !care.CanGrantProfession(p.Viewer, f.Kind, u.Profession) {
			refused = &care.Error{Code: care.CodeProfessionNotGiven, Field: "profession", Detail: "not employed by the facility's kind"}
			return refused
		}
		facilityName = f.Name
		if err := tx.CreateUser(ctx, u); errors.Is(err, store.ErrLoginIDTaken) {
			return &care.Error{Code: care.CodeLoginIDTaken, Field: "login_id"}
		} else if err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.accountEvents(ctx, p, u.ID, audit.ResultOK, "user.create", given)...)
	})
	if refused != nil {
		return nil, s.deniedUser(ctx, p, u.ID, refused, "user.create", given)
	}
	if err != nil {
		return nil, err
	}
	u.CreatedAt, u.LastActiveAt, u.PasswordChangedAt = store.UTC(now), store.UTC(now), store.UTC(now)
	out := s.userOut(u, true)
	out.FacilityName = facilityName
	return &UserOutput{Body: out}, nil
}

// The audit actions of a change of profession or roles: each is an event of
// its own, whoever makes it and however, so that misuse alerts find them by
// action alone.
const (
	actionProfession = "user.profession.change"
	actionRoles      = "user.roles.change"
)

// The audit actions of a reset of another account's credentials, each an
// event of its own however it is made (PATCH /users/{id} or the reset
// operations), so that misuse alerts find resets by action alone.
const (
	actionPasswordReset = "user.password_reset"
	actionTOTPReset     = "user.totp_reset"
)

// credentialResets are the reset events of a change that sets a new
// password and/or forgets the TOTP secret.
func credentialResets(password, totp bool) []grant {
	var gs []grant
	if password {
		gs = append(gs, grant{action: actionPasswordReset})
	}
	if totp {
		gs = append(gs, grant{action: actionTOTPReset})
	}
	return gs
}

// grant is the audit event of a change of profession or roles, with the
// codes before and after in its detail ("care_worker>nurse";
// "facility_admin>" for roles taken away; nothing before ">" at creation).
type grant struct{ action, detail string }

// grants are the changes of profession and roles from before to after.
func grants(before, after store.User) []grant {
	var gs []grant
	if before.Profession != after.Profession {
		gs = append(gs, grant{actionProfession, before.Profession + ">" + after.Profession})
	}
	if rb, ra := strings.Join(rolesOf(before), ","), strings.Join(rolesOf(after), ","); rb != ra {
		gs = append(gs, grant{actionRoles, rb + ">" + ra})
	}
	return gs
}

// accountEvents are the audit events of a write of account id: action and
// one event per grant, all with result.
func (s *Server) accountEvents(ctx context.Context, p *Principal, id, result, action string, gs []grant) []*audit.Event {
	evs := []*audit.Event{s.event(ctx, p, action, "", "account", id)}
	for _, g := range gs {
		e := s.event(ctx, p, g.action, "", "account", id)
		e.Detail = g.detail
		evs = append(evs, e)
	}
	for _, e := range evs {
		e.Result = result
	}
	return evs
}

// deniedUser audits a refused account change (action and each grant it
// asked for) in a transaction of its own, and returns err.
func (s *Server) deniedUser(ctx context.Context, p *Principal, id string, err error, action string, gs []grant) error {
	evs := s.accountEvents(ctx, p, id, audit.ResultDenied, action, gs)
	if werr := s.db.Write(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, evs...) }); werr != nil {
		s.log.ErrorContext(ctx, "audit denied account change", "request_id", requestID(ctx), "err", werr)
	}
	return err
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

// updateUser changes another account: CanManageUser decides whom, and
// CanGrantProfession which profession. Nobody changes their own profession,
// roles, status, password or TOTP here (403 own_account_change); the own
// password changes with the current one (PUT /me/password). Changes of
// profession and roles, a new password and a TOTP reset are audited as
// events of their own (also when refused).
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
	var facilityName string
	var changes []grant // the changes of profession and roles and the resets this request makes
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		u, err = tx.User(ctx, in.ID)
		if errors.Is(err, store.ErrNotFound) {
			refused = care.ErrNotFound
			return refused
		}
		if err != nil {
			return err
		}
		before := u
		wantNet := u.NetworkAdmin
		if b.Roles != nil {
			wantNet = slices.Contains(*b.Roles, "network_admin")
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
		if b.Status != nil {
			u.Status = *b.Status
		}
		changes = append(grants(before, u), credentialResets(b.Password != nil, b.ResetTOTP)...)
		if !care.CanManageUser(p.Viewer, u.FacilityID.String, before.NetworkAdmin) {
			refused = &care.Error{Code: care.CodeAdminOnly}
			return refused
		}
		if u.ID == p.User.ID {
			own := care.OwnAccountChange(accountOf(before), accountOf(u))
			if b.Password != nil {
				own = append(own, "password")
			}
			if b.ResetTOTP {
				own = append(own, "reset_totp")
			}
			if len(own) > 0 {
				refused = &care.Error{Code: care.CodeOwnAccount, Field: own[0], Detail: "own account"}
				return refused
			}
		}
		if !care.CanManageUser(p.Viewer, u.FacilityID.String, wantNet) {
			refused = &care.Error{Code: care.CodeAdminOnly}
			return refused
		}
		f, err := tx.Facility(ctx, u.FacilityID.String)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		facilityName = f.Name
		if u.Profession != before.Profession {
			if !care.CanGrantProfession(p.Viewer, f.Kind, u.Profession) {
				refused = &care.Error{Code: care.CodeProfessionNotGiven, Field: "profession", Detail: "not employed by the facility's kind"}
				return refused
			}
		}
		if u.Status != before.Status {
			if before.Status == care.StatusRevoked {
				return care.Errorf(care.CodeConflict, "revoked accounts stay revoked")
			}
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
			s.endStreams(tx, u.ID)
		}
		if u.Status != before.Status { // the teams show the member's status: resend them
			if err := s.teamsChanged(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, s.accountEvents(ctx, p, u.ID, audit.ResultOK, "user.update", changes)...)
	})
	if refused != nil {
		return nil, s.deniedUser(ctx, p, in.ID, refused, "user.update", changes)
	}
	if err != nil {
		return nil, err
	}
	out := s.userOut(u, true)
	out.FacilityName = facilityName
	return &UserOutput{Body: out}, nil
}

func accountOf(u store.User) care.Account {
	return care.Account{FacilityID: u.FacilityID.String, Profession: u.Profession, NetworkAdmin: u.NetworkAdmin,
		FacilityAdmin: u.FacilityAdmin, Status: u.Status}
}
