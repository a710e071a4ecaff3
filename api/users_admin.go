package api

import (
	"context"
	"errors"

	"tsunagu/internal/audit"
	"tsunagu/internal/auth"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// The credential resets of another account (a forgotten password, a lost
// phone): who may is care.CanManageUser, never on one's own account.

type UserIDInput struct {
	ID string `path:"id" format:"uuid"`
}

type PasswordResetOutput struct {
	Body struct {
		TemporaryPassword string  `json:"temporary_password" doc:"a one-time password made by the server, shown once: the account must change it at its next sign-in"`
		User              UserOut `json:"user"`
	}
}

// resetRefusal is why p may not reset the credentials of u (nil when p may):
// admin_only for an account p does not manage, own_account_change for p's
// own, conflict for a revoked account (revoked is final).
func resetRefusal(p *Principal, u store.User) error {
	switch {
	case !care.CanManageUser(p.Viewer, u.FacilityID.String, u.NetworkAdmin):
		return &care.Error{Code: care.CodeAdminOnly}
	case u.ID == p.User.ID:
		return &care.Error{Code: care.CodeOwnAccount, Detail: "own account"}
	case u.Status == care.StatusRevoked:
		return care.Errorf(care.CodeConflict, "revoked accounts stay revoked")
	}
	return nil
}

// errPasswordRetry: the temporary password made for an account broke the
// policy once its row was read again (a name changed meanwhile); a new one
// is made.
var errPasswordRetry = errors.New("temporary password refused by the policy")

// resetPassword gives another account a temporary password
// (auth.TemporaryPassword, which must pass the password policy like any
// other): the account must change it at its next sign-in, and every
// session of it ends. Audited as user.password_reset (denied when
// refused). The password is in the answer only, never in a log or an
// audit event.
func (s *Server) resetPassword(ctx context.Context, in *UserIDInput) (*PasswordResetOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	// A first look refuses before the cost of a hash.
	target, err := s.resetTarget(ctx, p, in.ID, actionPasswordReset)
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 3; attempt++ {
		pw, err := s.temporaryPassword(target)
		if err != nil {
			return nil, err
		}
		hash, err := s.hasher.Hash(ctx, pw)
		if err != nil {
			return nil, err
		}
		var refused error
		var out UserOut
		err = s.db.Write(ctx, func(tx *store.Tx) error {
			u, err := tx.User(ctx, in.ID)
			if err != nil {
				return err
			}
			if refused = resetRefusal(p, u); refused != nil {
				return refused
			}
			if s.opt.Password.Problem(pw, u.LoginID, u.Name, u.NameKana) != "" {
				target = u
				return errPasswordRetry
			}
			now := s.now()
			u.PasswordHash, u.PasswordChangedAt, u.MustChangePassword, u.UpdatedAt = hash, now, true, now
			out, err = s.writeReset(ctx, tx, p, u, actionPasswordReset)
			return err
		})
		if errors.Is(err, errPasswordRetry) {
			continue
		}
		if refused != nil {
			return nil, s.deniedUser(ctx, p, in.ID, refused, actionPasswordReset, nil)
		}
		if err != nil {
			return nil, err
		}
		res := &PasswordResetOutput{}
		res.Body.TemporaryPassword, res.Body.User = pw, out
		return res, nil
	}
	return nil, care.Errorf(care.CodeConflict, "no temporary password passed the policy")
}

// temporaryPassword makes a temporary password for u that the policy
// accepts.
func (s *Server) temporaryPassword(u store.User) (string, error) {
	for range 10 {
		pw := auth.TemporaryPassword(s.opt.Password.MinLength)
		if s.opt.Password.Problem(pw, u.LoginID, u.Name, u.NameKana) == "" {
			return pw, nil
		}
	}
	return "", care.Errorf(care.CodeConflict, "no temporary password passed the policy")
}

// resetTOTP forgets another account's TOTP secret (and any enrolment under
// way): the user enrols again at the next sign-in, and every session of the
// account ends. Audited as user.totp_reset (denied when refused).
func (s *Server) resetTOTP(ctx context.Context, in *UserIDInput) (*UserOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	var refused error
	var out UserOut
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		u, err := tx.User(ctx, in.ID)
		if errors.Is(err, store.ErrNotFound) {
			refused = care.ErrNotFound
			return refused
		}
		if err != nil {
			return err
		}
		if refused = resetRefusal(p, u); refused != nil {
			return refused
		}
		u.TOTPSecret, u.TOTPPendingSecret, u.UpdatedAt = nullString(""), nullString(""), s.now()
		out, err = s.writeReset(ctx, tx, p, u, actionTOTPReset)
		return err
	})
	if refused != nil {
		return nil, s.deniedUser(ctx, p, in.ID, refused, actionTOTPReset, nil)
	}
	if err != nil {
		return nil, err
	}
	return &UserOutput{Body: out}, nil
}

// resetTarget reads account id for a reset by p, refusing (audited as
// action, denied) what resetRefusal refuses and an unknown id.
func (s *Server) resetTarget(ctx context.Context, p *Principal, id, action string) (store.User, error) {
	var u store.User
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) { u, err = tx.User(ctx, id); return err })
	if errors.Is(err, store.ErrNotFound) {
		return u, s.deniedUser(ctx, p, id, care.ErrNotFound, action, nil)
	}
	if err != nil {
		return u, err
	}
	if refused := resetRefusal(p, u); refused != nil {
		return u, s.deniedUser(ctx, p, id, refused, action, nil)
	}
	return u, nil
}

// writeReset stores u after a reset by p, ends every session of the
// account (and its event streams) and appends the audit event of action.
// It answers u as an administrator sees it.
func (s *Server) writeReset(ctx context.Context, tx *store.Tx, p *Principal, u store.User, action string) (UserOut, error) {
	if err := tx.UpdateUser(ctx, u); err != nil {
		return UserOut{}, err
	}
	if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
		return UserOut{}, err
	}
	s.endStreams(tx, u.ID)
	if err := audit.Append(ctx, tx, s.accountEvents(ctx, p, u.ID, audit.ResultOK, action, nil)...); err != nil {
		return UserOut{}, err
	}
	f, err := tx.Facility(ctx, u.FacilityID.String)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return UserOut{}, err
	}
	out := s.userOut(u, true)
	out.FacilityName = f.Name
	return out, nil
}
