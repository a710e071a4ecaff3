package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/auth"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// UserOut is an account as the API shows it.
type UserOut struct {
	ID                 string     `json:"id" format:"uuid"`
	LoginID            string     `json:"login_id,omitempty"`
	Name               string     `json:"name"`
	NameKana           string     `json:"name_kana"`
	Profession         string     `json:"profession"`
	FacilityID         string     `json:"facility_id,omitempty"`
	FacilityName       string     `json:"facility_name,omitempty" doc:"the name of the account's facility, in the staff directory and the answers of the account operations"`
	Roles              []string   `json:"roles"`
	Status             string     `json:"status"`
	MustChangePassword bool       `json:"must_change_password"`
	TOTPEnabled        bool       `json:"totp_enabled"`
	PasswordExpiresAt  *time.Time `json:"password_expires_at,omitempty"`
	LastActiveAt       *time.Time `json:"last_active_at,omitempty"`
	CreatedAt          time.Time  `json:"created_at"`
}

func (s *Server) userOut(u store.User, full bool) UserOut {
	out := UserOut{ID: u.ID, Name: u.Name, NameKana: u.NameKana, Profession: u.Profession, FacilityID: u.FacilityID.String,
		Roles: rolesOf(u), Status: u.Status, CreatedAt: u.CreatedAt}
	if full {
		out.LoginID = u.LoginID
		out.MustChangePassword = u.MustChangePassword
		out.TOTPEnabled = u.TOTPSecret.Valid
		la := u.LastActiveAt
		out.LastActiveAt = &la
		if s.opt.Password.MaxAge > 0 {
			exp := u.PasswordChangedAt.Add(s.opt.Password.MaxAge)
			out.PasswordExpiresAt = &exp
		}
	}
	return out
}

func rolesOf(u store.User) []string {
	roles := []string{}
	if u.NetworkAdmin {
		roles = append(roles, "network_admin")
	}
	if u.FacilityAdmin {
		roles = append(roles, "facility_admin")
	}
	return roles
}

// MeBody is the signed-in user and what the session may reach.
type MeBody struct {
	User  UserOut `json:"user"`
	Stage string  `json:"stage" enum:"full,password_change,totp_enrolment" doc:"full, or the one step the session must complete first"`
	// IdleTimeoutSeconds tells the app when to lock itself.
	IdleTimeoutSeconds int  `json:"idle_timeout_seconds"`
	Clinical           bool `json:"clinical" doc:"whether the user's profession reads chart content"`
}

func (s *Server) meBody(p *Principal) MeBody {
	stage := map[string]string{stageFull: "full", stagePassword: "password_change", stageTOTP: "totp_enrolment"}[p.Stage]
	return MeBody{User: s.userOut(p.User, true), Stage: stage, IdleTimeoutSeconds: int(s.opt.SessionIdle.Seconds()),
		Clinical: s.opt.Care.Clinical(p.User.Profession)}
}

type SignInInput struct {
	Body struct {
		LoginID  string `json:"login_id" minLength:"1" maxLength:"100"`
		Password string `json:"password" minLength:"1" maxLength:"256"`
		TOTPCode string `json:"totp_code,omitempty" maxLength:"6" pattern:"^[0-9]*$" doc:"6-digit code of the authenticator app, once TOTP is enrolled"`
	}
}

type SignInOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
	Body      MeBody
}

func (s *Server) sessionCookie(ctx context.Context, value string, maxAge int) http.Cookie {
	return http.Cookie{Name: SessionCookie, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.opt.SecureCookies || isTLS(ctx), MaxAge: maxAge}
}

// signIn checks the password and, once enrolled, the TOTP code. Unknown and
// known login ids get the same answer and take the same time; failures are
// throttled per account and per address.
func (s *Server) signIn(ctx context.Context, in *SignInInput) (*SignInOutput, error) {
	now := s.now()
	login := normalizeLogin(in.Body.LoginID)
	addr := address(ctx)
	subjects := []string{"login:" + login, "addr:" + addr}
	since := now.Add(-s.opt.ThrottleWindow)
	var u store.User
	var known bool
	var throttled bool
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		nl, err := tx.SigninFailures(ctx, subjects[0], since)
		if err != nil {
			return err
		}
		na, err := tx.SigninFailures(ctx, subjects[1], since)
		if err != nil {
			return err
		}
		throttled = nl >= s.opt.MaxFailsLogin || na >= s.opt.MaxFailsAddr
		u, err = tx.UserByLogin(ctx, login)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		known = err == nil
		return err
	})
	if err != nil {
		return nil, err
	}
	fail := func(code string, countFailure bool) error {
		e := s.event(ctx, nil, "session.create", "", "account", "")
		e.Result = audit.ResultFailed
		if known {
			e.ActorID, e.ActorFacility, e.ResourceID = u.ID, u.FacilityID.String, u.ID
		}
		if code == care.CodeTooManyAttempts {
			e.Result = audit.ResultDenied
		}
		werr := s.db.Write(ctx, func(tx *store.Tx) error {
			if countFailure {
				if err := tx.RecordSigninFailure(ctx, now, subjects...); err != nil {
					return err
				}
			}
			return audit.Append(ctx, tx, e)
		})
		if werr != nil {
			return werr
		}
		if code == care.CodeTooManyAttempts {
			return withRetryAfter(&care.Error{Code: code}, int(s.opt.ThrottleWindow.Seconds()))
		}
		return &care.Error{Code: code}
	}
	if throttled {
		return nil, fail(care.CodeTooManyAttempts, false)
	}
	hash := ""
	if known {
		hash = u.PasswordHash
	}
	if err := s.hasher.Verify(ctx, hash, in.Body.Password); err != nil {
		if errors.Is(err, auth.ErrMismatch) {
			return nil, fail(care.CodeBadCredentials, true)
		}
		return nil, err
	}
	switch u.Status {
	case care.StatusRevoked:
		return nil, fail(care.CodeAccountRevoked, false)
	case care.StatusSuspended:
		return nil, fail(care.CodeAccountSuspended, false)
	case care.StatusDormant:
		return nil, fail(care.CodeAccountDormant, false)
	}
	if s.opt.DormantAfter > 0 && now.Sub(u.LastActiveAt) >= s.opt.DormantAfter {
		if err := s.db.Write(ctx, func(tx *store.Tx) error { _, err := tx.MarkDormant(ctx, now.Add(-s.opt.DormantAfter), now); return err }); err != nil {
			return nil, err
		}
		return nil, fail(care.CodeAccountDormant, false)
	}
	totpStep := u.TOTPLastStep
	if u.TOTPSecret.Valid {
		if in.Body.TOTPCode == "" {
			return nil, &care.Error{Code: care.CodeTOTPRequired}
		}
		step, err := auth.CheckTOTP(u.TOTPSecret.String, in.Body.TOTPCode, now, u.TOTPLastStep)
		switch {
		case errors.Is(err, auth.ErrTOTPReplayed):
			return nil, fail(care.CodeTOTPReplayed, true)
		case errors.Is(err, auth.ErrTOTPInvalid):
			return nil, fail(care.CodeTOTPInvalid, true)
		case err != nil:
			return nil, err
		}
		totpStep = step
	}
	stage := stageFull
	switch {
	case u.MustChangePassword || s.opt.Password.Expired(u.PasswordChangedAt, now):
		stage = stagePassword
	case s.opt.RequireTOTP && !u.TOTPSecret.Valid:
		stage = stageTOTP
	}
	tok, h := auth.NewToken()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		// The step is written with a guard so that two sign-ins racing with
		// one code cannot both pass.
		if u.TOTPSecret.Valid {
			n, err := tx.Exec(ctx, `UPDATE app_user SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, totpStep, u.ID, totpStep)
			if err != nil {
				return err
			}
			if n == 0 {
				return &care.Error{Code: care.CodeTOTPReplayed}
			}
		}
		if err := tx.CreateSession(ctx, store.Session{TokenHash: h, UserID: u.ID, Stage: stage, CreatedAt: now, LastSeenAt: now, Address: addr}); err != nil {
			return err
		}
		if err := tx.ClearSigninFailures(ctx, subjects[0]); err != nil {
			return err
		}
		if err := tx.TouchUser(ctx, u.ID, now); err != nil {
			return err
		}
		e := s.event(ctx, &Principal{User: u}, "session.create", "", "account", u.ID)
		return audit.Append(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	u.LastActiveAt = now
	p := &Principal{User: u, TokenHash: h, Stage: stage, Viewer: viewerOf(u)}
	out := &SignInOutput{SetCookie: s.sessionCookie(ctx, tok, int(s.opt.SessionMax.Seconds())), Body: s.meBody(p)}
	if stage == stagePassword {
		code := care.CodePasswordExpired
		if u.MustChangePassword {
			code = care.CodePasswordChange
		}
		return nil, &headerError{err: &care.Error{Code: code}, header: http.Header{"Set-Cookie": {out.SetCookie.String()}}}
	}
	return out, nil
}

// headerError is an application error that also sets response headers (the
// restricted session cookie of a sign-in that must change its password).
type headerError struct {
	err    *care.Error
	header http.Header
}

func (e *headerError) Error() string           { return e.err.Error() }
func (e *headerError) GetHeaders() http.Header { return e.header }
func (e *headerError) Unwrap() error           { return e.err }

func normalizeLogin(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

type SignOutOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
}

func (s *Server) signOut(ctx context.Context, _ *struct{}) (*SignOutOutput, error) {
	out := &SignOutOutput{SetCookie: s.sessionCookie(ctx, "", -1)}
	tok := token(ctx)
	if tok == "" {
		return out, nil
	}
	h := hashToken(tok)
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		sess, err := tx.Session(ctx, h)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteSession(ctx, h); err != nil {
			return err
		}
		s.endStreams(tx, sess.UserID)
		u, err := tx.User(ctx, sess.UserID)
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, &Principal{User: u}, "session.delete", "", "account", u.ID))
	})
	return out, err
}

type MeOutput struct{ Body MeBody }

func (s *Server) me(ctx context.Context, _ *struct{}) (*MeOutput, error) {
	p, err := s.authenticate(ctx, stagePassword, stageTOTP)
	if err != nil {
		return nil, err
	}
	return &MeOutput{Body: s.meBody(p)}, nil
}

type ChangePasswordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" minLength:"1" maxLength:"256"`
		NewPassword     string `json:"new_password" minLength:"1" maxLength:"256"`
	}
}

// changePassword is the one operation a session with an expired (or first)
// password reaches. Other sessions of the account end. A wrong current
// password counts as a failed sign-in of the account and of the address
// (the same throttle, so a session adds no guesses to those of the sign-in
// form) and is audited; at the limit the answer is 429 too_many_attempts
// before the password is checked.
func (s *Server) changePassword(ctx context.Context, in *ChangePasswordInput) (*MeOutput, error) {
	p, err := s.authenticate(ctx, stagePassword)
	if err != nil {
		return nil, err
	}
	now := s.now()
	subjects := []string{"login:" + p.User.LoginID, "addr:" + address(ctx)}
	since := now.Add(-s.opt.ThrottleWindow)
	var throttled bool
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		nl, err := tx.SigninFailures(ctx, subjects[0], since)
		if err != nil {
			return err
		}
		na, err := tx.SigninFailures(ctx, subjects[1], since)
		throttled = nl >= s.opt.MaxFailsLogin || na >= s.opt.MaxFailsAddr
		return err
	})
	if err != nil {
		return nil, err
	}
	fail := func(result string, count bool, refusal error) error {
		e := s.event(ctx, p, "account.password_change", "", "account", p.User.ID)
		e.Result = result
		werr := s.db.Write(ctx, func(tx *store.Tx) error {
			if count {
				if err := tx.RecordSigninFailure(ctx, now, subjects...); err != nil {
					return err
				}
			}
			return audit.Append(ctx, tx, e)
		})
		if werr != nil {
			return werr
		}
		return refusal
	}
	if throttled {
		return nil, fail(audit.ResultDenied, false, withRetryAfter(&care.Error{Code: care.CodeTooManyAttempts}, int(s.opt.ThrottleWindow.Seconds())))
	}
	if err := s.hasher.Verify(ctx, p.User.PasswordHash, in.Body.CurrentPassword); err != nil {
		if errors.Is(err, auth.ErrMismatch) {
			return nil, fail(audit.ResultFailed, true, care.Invalid("current_password", "current password does not match"))
		}
		return nil, err
	}
	if reason := s.opt.Password.Problem(in.Body.NewPassword, p.User.LoginID, p.User.Name, p.User.NameKana); reason != "" {
		return nil, &care.Error{Code: care.CodePasswordPolicy, Field: "new_password", Detail: reason}
	}
	if in.Body.NewPassword == in.Body.CurrentPassword {
		return nil, &care.Error{Code: care.CodePasswordPolicy, Field: "new_password", Detail: "same as current"}
	}
	hash, err := s.hasher.Hash(ctx, in.Body.NewPassword)
	if err != nil {
		return nil, err
	}
	u := p.User
	u.PasswordHash, u.PasswordChangedAt, u.MustChangePassword, u.UpdatedAt = hash, now, false, now
	stage := stageFull
	if s.opt.RequireTOTP && !u.TOTPSecret.Valid {
		stage = stageTOTP
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_session WHERE user_id = ? AND token_hash <> ?`, u.ID, p.TokenHash); err != nil {
			return err
		}
		s.endStreams(tx, u.ID)
		if err := tx.SetSessionStage(ctx, p.TokenHash, stage); err != nil {
			return err
		}
		if err := tx.ClearSigninFailures(ctx, subjects[0]); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, p, "account.password_change", "", "account", u.ID))
	})
	if err != nil {
		return nil, err
	}
	p.User, p.Stage = u, stage
	return &MeOutput{Body: s.meBody(p)}, nil
}

type TOTPStartOutput struct {
	Body struct {
		Secret     string `json:"secret" doc:"base32 secret, for typing into an authenticator"`
		OTPAuthURL string `json:"otpauth_url" doc:"otpauth:// URL, for a QR code"`
	}
}

// startTOTP makes a pending TOTP secret; it becomes active on confirmation.
func (s *Server) startTOTP(ctx context.Context, _ *struct{}) (*TOTPStartOutput, error) {
	p, err := s.authenticate(ctx, stageTOTP)
	if err != nil {
		return nil, err
	}
	if p.User.TOTPSecret.Valid {
		return nil, care.Errorf(care.CodeConflict, "totp already enrolled")
	}
	secret, url, err := auth.NewTOTPSecret(s.opt.TOTPIssuer, p.User.LoginID)
	if err != nil {
		return nil, err
	}
	u := p.User
	u.TOTPPendingSecret, u.UpdatedAt = nullString(secret), s.now()
	if err := s.db.Write(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, u) }); err != nil {
		return nil, err
	}
	out := &TOTPStartOutput{}
	out.Body.Secret, out.Body.OTPAuthURL = secret, url
	return out, nil
}

type TOTPConfirmInput struct {
	Body struct {
		Code string `json:"code" minLength:"6" maxLength:"6" pattern:"^[0-9]{6}$"`
	}
}

func (s *Server) confirmTOTP(ctx context.Context, in *TOTPConfirmInput) (*MeOutput, error) {
	p, err := s.authenticate(ctx, stageTOTP)
	if err != nil {
		return nil, err
	}
	u := p.User
	if !u.TOTPPendingSecret.Valid {
		return nil, care.Invalid("code", "no enrolment started")
	}
	step, err := auth.CheckTOTP(u.TOTPPendingSecret.String, in.Body.Code, s.now(), u.TOTPLastStep)
	if err != nil {
		if errors.Is(err, auth.ErrTOTPReplayed) {
			return nil, &care.Error{Code: care.CodeTOTPReplayed}
		}
		return nil, &care.Error{Code: care.CodeTOTPInvalid}
	}
	u.TOTPSecret, u.TOTPPendingSecret, u.TOTPLastStep, u.UpdatedAt = u.TOTPPendingSecret, nullString(""), step, s.now()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.SetSessionStage(ctx, p.TokenHash, stageFull); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, p, "account.totp_enrol", "", "account", u.ID))
	})
	if err != nil {
		return nil, err
	}
	p.User, p.Stage = u, stageFull
	return &MeOutput{Body: s.meBody(p)}, nil
}

func hashToken(t string) string { return auth.HashToken(t) }
