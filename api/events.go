package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/notify"
	"tsunagu/internal/store"
)

// events streams "pull now" hints (Server-Sent Events) to the signed-in
// user's open app. It is a plain handler: huma has no use for a stream.
//
// A session holds at most notify.DefaultStreamLimits streams (3 per
// session, 8 per user, on each instance); one more is refused with 429
// too_many_streams, and the open ones stay (see notify.ErrTooManyStreams).
// A stream lasts only as long as its session: it checks the session every
// Options.StreamRecheck and at once when one of the user's sessions ends
// (endStreams, on every instance), and ends when the session is gone,
// expired (idle or absolute), its account no longer active or its
// password expired. The checks never extend the session's idle clock.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.authenticate(ctx)
	if err != nil {
		s.writeError(w, ctx, err)
		return
	}
	st, err := s.hub.Subscribe(ctx, p.User.ID, p.TokenHash)
	if errors.Is(err, notify.ErrTooManyStreams) {
		w.Header().Set("Retry-After", "60")
		s.writeError(w, ctx, &care.Error{Code: care.CodeTooManyStreams})
		return
	}
	if err != nil {
		s.writeError(w, ctx, err)
		return
	}
	sse := notify.SSE{CheckInterval: s.opt.StreamRecheck, Check: func(ctx context.Context) error { return s.sessionStands(ctx, p.TokenHash) }}
	if err := sse.Serve(w, r, st); err != nil {
		s.log.DebugContext(ctx, "event stream ended", "request_id", requestID(ctx), "err", err)
	}
}

// writeError answers a plain handler's request with err's problem.
func (s *Server) writeError(w http.ResponseWriter, ctx context.Context, err error) {
	perr := s.problem(ctx, err).(*Problem)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(perr.Status)
	json.NewEncoder(w).Encode(perr)
}

// sessionStands reports whether the session with token hash h would still
// reach GET /events: it exists, is within its idle and absolute timeouts,
// is not restricted to a password change or TOTP enrolment, and its
// account is active with a password that has not expired — the refusals
// of authenticate, read-only, so that an open stream never keeps its
// session alive.
func (s *Server) sessionStands(ctx context.Context, h string) error {
	var sess store.Session
	var u store.User
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if sess, err = tx.Session(ctx, h); err != nil {
			return err
		}
		u, err = tx.User(ctx, sess.UserID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return care.ErrUnauthenticated
	}
	if err != nil {
		return err
	}
	now := s.now()
	switch {
	case now.Sub(sess.LastSeenAt) >= s.opt.SessionIdle || now.Sub(sess.CreatedAt) >= s.opt.SessionMax:
		return &care.Error{Code: care.CodeSessionExpired}
	case u.Status != care.StatusActive:
		return care.ErrUnauthenticated
	case sess.Stage != stageFull || s.opt.Password.Expired(u.PasswordChangedAt, now):
		return &care.Error{Code: care.CodePasswordExpired}
	}
	return nil
}

// endStreams makes the event streams of users, on every instance, check
// their sessions at once after tx commits: call it wherever a transaction
// deletes sessions of theirs (sign-out, suspension, revocation, a password
// change or reset), so that a stream does not outlive its session. (The
// periodic check of each stream catches any other way a session ends.)
func (s *Server) endStreams(tx *store.Tx, userIDs ...string) {
	tx.AfterCommit(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.hints.Broadcast(ctx, notify.Hint{UserIDs: userIDs, Recheck: true}); err != nil {
			s.log.Warn("stream recheck not sent", "err", err)
		}
	})
}
