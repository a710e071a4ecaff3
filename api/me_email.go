package api

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/auth"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// emailTokenTTL is how long a confirmation link works.
const emailTokenTTL = 24 * time.Hour

type EmailInput struct {
	Body struct {
		Address string `json:"address" minLength:"3" maxLength:"254" doc:"where notifications go once verified"`
	}
}

type EmailState struct {
	Address  string `json:"address,omitempty" doc:"the registered address; absent when none"`
	Verified bool   `json:"verified" doc:"notifications go to the address only once verified"`
}

type EmailOutput struct {
	Body EmailState
}

// setMyEmail registers the caller's address, unverified, and queues the
// confirmation mail (its link carries a token whose hash alone is stored,
// valid for emailTokenTTL). Mail queued for an earlier address is dropped;
// nothing but the confirmation goes to the new one until it is confirmed.
// The same address, already verified, stays verified.
func (s *Server) setMyEmail(ctx context.Context, in *EmailInput) (*EmailOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	addr := strings.TrimSpace(in.Body.Address)
	if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr || a.Name != "" || !strings.Contains(addr[strings.LastIndexByte(addr, '@')+1:], ".") {
		return nil, care.Invalid("address", "must be a plain e-mail address such as name@example.jp")
	}
	if !s.mailOn {
		return nil, &care.Error{Code: care.CodeMailDisabled, Detail: "no SMTP server configured"}
	}
	out := &EmailOutput{}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		cur, err := tx.UserEmailOf(ctx, p.User.ID)
		if err != nil && err != store.ErrNotFound {
			return err
		}
		if err == nil && cur.Address == addr && cur.VerifiedAt.Valid {
			out.Body = EmailState{Address: addr, Verified: true}
			return nil
		}
		now := s.now()
		// One confirmation mail a minute per user: the address is anyone's,
		// so the form must not become a way to flood a stranger's inbox.
		if err == nil && !cur.VerifiedAt.Valid && now.Sub(cur.UpdatedAt) < time.Minute {
			return &care.Error{Code: care.CodeEmailTooSoon, Detail: "confirmation mail sent less than a minute ago"}
		}
		tok, hash := auth.NewToken()
		if err := tx.SetUserEmail(ctx, p.User.ID, addr, hash, now.Add(emailTokenTTL), now); err != nil {
			return err
		}
		if err := tx.EnqueueMail(ctx, store.MailItem{ID: s.newID(), UserID: p.User.ID, Kind: store.MailKindVerify, Address: addr,
			Secret: tok, CreatedAt: now, NotBefore: now}); err != nil {
			return err
		}
		tx.AfterCommit(s.wakeMail)
		out.Body = EmailState{Address: addr}
		return audit.Append(ctx, tx, s.event(ctx, p, "email.set", "", "user_email", p.User.ID))
	})
	return out, err
}

type EmailConfirmInput struct {
	Body struct {
		Token string `json:"token" minLength:"20" maxLength:"100" doc:"the token of the confirmation link"`
	}
}

// confirmMyEmail verifies the caller's pending address with the token of
// its confirmation link. Only the caller's own pending token counts: a
// token of another user's link verifies nothing here.
func (s *Server) confirmMyEmail(ctx context.Context, in *EmailConfirmInput) (*EmailOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	out := &EmailOutput{}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		ok, err := tx.VerifyUserEmail(ctx, p.User.ID, auth.HashToken(in.Body.Token), s.now())
		if err != nil {
			return err
		}
		if !ok {
			return &care.Error{Code: care.CodeEmailTokenInvalid, Field: "token", Detail: "no pending address with this token"}
		}
		cur, err := tx.UserEmailOf(ctx, p.User.ID)
		if err != nil {
			return err
		}
		out.Body = EmailState{Address: cur.Address, Verified: true}
		return audit.Append(ctx, tx, s.event(ctx, p, "email.confirm", "", "user_email", p.User.ID))
	})
	return out, err
}

// deleteMyEmail forgets the caller's address and the mail queued for it.
func (s *Server) deleteMyEmail(ctx context.Context, _ *struct{}) (*struct{}, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return nil, s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteUserEmail(ctx, p.User.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.event(ctx, p, "email.delete", "", "user_email", p.User.ID))
	})
}
