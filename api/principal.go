package api

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// Session stages: what a not-yet-complete session may reach.
const (
	stageFull     = ""
	stagePassword = "password" // only the password change (expired or first sign-in)
	stageTOTP     = "totp"     // only TOTP enrolment
)

// Principal is the signed-in user of a request.
type Principal struct {
	User      store.User
	TokenHash string
	Stage     string
	Viewer    care.Viewer
}

// authenticate resolves the session cookie of ctx. A session reaches only
// what its stage allows: the operations that pass that stage in allow.
// Idle and absolute timeouts, account status, dormancy and password expiry
// are checked on every request, so a suspended account loses access at once.
// A request without a usable session from a device that must be wiped is
// answered device_wipe (wipeOrRefuse).
func (s *Server) authenticate(ctx context.Context, allow ...string) (*Principal, error) {
	if p, ok := ctx.Value(principalKey{}).(*Principal); ok {
		// A sync mutation runs a REST handler inside the push request, whose
		// session was checked a moment ago.
		return p, p.stageAllowed(allow)
	}
	tok := token(ctx)
	if tok == "" {
		return nil, s.wipeOrRefuse(ctx, care.ErrUnauthenticated)
	}
	now := s.now()
	h := hashToken(tok)
	sess, u, err := s.lookupSession(ctx, h)
	if errors.Is(err, care.ErrUnauthenticated) {
		return nil, s.wipeOrRefuse(ctx, care.ErrUnauthenticated)
	}
	if err != nil {
		return nil, err
	}
	// Most requests change nothing: the writes below happen only when a
	// session ends, narrows, or its idle clock is a minute behind (a minute
	// of resolution is plenty for a 15-minute idle timeout, and keeps reads
	// from being writes).
	var refuse error
	var writes []func(*store.Tx) error
	stage := sess.Stage
	switch {
	case now.Sub(sess.LastSeenAt) >= s.opt.SessionIdle || now.Sub(sess.CreatedAt) >= s.opt.SessionMax:
		refuse = &care.Error{Code: care.CodeSessionExpired}
		writes = append(writes, func(tx *store.Tx) error { s.endStreams(tx, u.ID); return tx.DeleteSession(ctx, h) })
	case u.Status != care.StatusActive:
		refuse = care.ErrUnauthenticated
		writes = append(writes, func(tx *store.Tx) error { s.endStreams(tx, u.ID); return tx.DeleteUserSessions(ctx, u.ID) })
	default:
		if stage == stageFull && s.opt.Password.Expired(u.PasswordChangedAt, now) {
			stage = stagePassword
			writes = append(writes, func(tx *store.Tx) error { return tx.SetSessionStage(ctx, h, stagePassword) })
		}
		if now.Sub(sess.LastSeenAt) >= time.Minute {
			writes = append(writes, func(tx *store.Tx) error { return tx.TouchSession(ctx, h, now) })
		}
		if now.Sub(u.LastActiveAt) >= time.Hour {
			writes = append(writes, func(tx *store.Tx) error { return tx.TouchUser(ctx, u.ID, now) })
		}
	}
	if len(writes) > 0 {
		err := s.db.Write(ctx, func(tx *store.Tx) error {
			for _, w := range writes {
				if err := w(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if refuse != nil {
		return nil, s.wipeOrRefuse(ctx, refuse)
	}
	p := &Principal{User: u, TokenHash: h, Stage: stage, Viewer: viewerOf(u)}
	if err := p.stageAllowed(allow); err != nil {
		return nil, err
	}
	return p, nil
}

// lookupSession reads the session whose token hashes to h and its user, in
// one read; care.ErrUnauthenticated when there is none. A request that
// preauth looked up already is not read twice.
func (s *Server) lookupSession(ctx context.Context, h string) (sess store.Session, u store.User, err error) {
	if l, ok := ctx.Value(sessionLookupKey{}).(*sessionLookup); ok && l.hash == h {
		return l.sess, l.user, nil
	}
	sess, u, err = s.db.SessionAndUser(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		err = care.ErrUnauthenticated
	}
	return sess, u, err
}

// stageAllowed refuses a session whose stage is not among allow.
func (p *Principal) stageAllowed(allow []string) error {
	if p.Stage == stageFull {
		return nil
	}
	for _, a := range allow {
		if a == p.Stage {
			return nil
		}
	}
	if p.Stage == stageTOTP {
		return &care.Error{Code: care.CodeTOTPEnrolment}
	}
	if p.User.MustChangePassword {
		return &care.Error{Code: care.CodePasswordChange}
	}
	return &care.Error{Code: care.CodePasswordExpired}
}

type principalKey struct{}

// withPrincipal carries an authenticated principal to the handlers a
// request runs on its behalf (the sync mutations).
func withPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

func viewerOf(u store.User) care.Viewer {
	return care.Viewer{UserID: u.ID, FacilityID: u.FacilityID.String, Profession: u.Profession,
		NetworkAdmin: u.NetworkAdmin, FacilityAdmin: u.FacilityAdmin}
}

// event starts an audit event for the request in ctx.
func (s *Server) event(ctx context.Context, p *Principal, action, patientID, resourceType, resourceID string) *audit.Event {
	e := &audit.Event{At: s.now(), Action: action, PatientID: patientID, ResourceType: resourceType, ResourceID: resourceID,
		Result: audit.ResultOK, Address: address(ctx), RequestID: requestID(ctx)}
	if p != nil {
		e.ActorID = p.User.ID
		e.ActorFacility = p.User.FacilityID.String
	}
	return e
}

// denied records a refused access in a transaction of its own (the refused
// operation's transaction rolls back) and returns err for the caller.
func (s *Server) denied(ctx context.Context, p *Principal, action, patientID, resourceType, resourceID string, err error) error {
	e := s.event(ctx, p, action, patientID, resourceType, resourceID)
	e.Result = audit.ResultDenied
	if werr := s.db.Write(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, e) }); werr != nil {
		s.log.ErrorContext(ctx, "audit denied access", "request_id", requestID(ctx), "err", werr)
	}
	return err
}

// patientScope is the outcome of an access decision for one patient.
type patientScope struct {
	Facts  care.PatientFacts
	Level  care.Level
	Manage bool
}

// access decides, inside tx, whether p reaches patient id for an operation
// that needs level need (care.Registration = any access) or, with manage,
// the right to edit demographics, consent and team. Refusals are typed:
// no access at all is care.ErrNotFound, exactly as for an unknown id.
func (s *Server) access(ctx context.Context, tx *store.Tx, p *Principal, patientID string, need care.Level, manage bool) (patientScope, error) {
	facts, err := tx.PatientFacts(ctx, patientID, p.User.ID)
	if err != nil {
		return patientScope{}, err
	}
	lvl := care.PatientAccess(s.opt.Care, p.Viewer, facts)
	sc := patientScope{Facts: facts, Level: lvl, Manage: care.CanManage(p.Viewer, facts, lvl)}
	switch {
	case lvl == care.None:
		return sc, care.ErrNotFound
	case manage && !sc.Manage:
		return sc, care.ErrForbidden
	case need == care.Chart && lvl != care.Chart:
		if lvl == care.Shared && !s.opt.Care.Clinical(p.Viewer.Profession) {
			return sc, care.ErrChartForbidden
		}
		return sc, care.ErrForbidden
	case need == care.Shared && lvl < care.Shared:
		return sc, care.ErrForbidden
	}
	return sc, nil
}

// withPatient runs fn in a write transaction after the access decision,
// and audits a refusal. Every patient-scoped operation goes through here.
func (s *Server) withPatient(ctx context.Context, p *Principal, action, patientID, resourceType, resourceID string, need care.Level, manage bool,
	fn func(tx *store.Tx, sc patientScope) error) error {
	var refused error
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		sc, err := s.access(ctx, tx, p, patientID, need, manage)
		if err != nil {
			refused = err
			return err
		}
		return fn(tx, sc)
	})
	if refused != nil {
		return s.denied(ctx, p, action, patientID, resourceType, resourceID, refused)
	}
	return err
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// readPatient is withPatient for reads: the access decision and fn run on
// the reader pool (a large read never holds up writers). The view's audit
// event is committed while fn reads — the commit's flush overlaps the
// query instead of following it — and data leaves only once the view was
// recorded: if the audit write fails, the read fails. (A read that fails
// after the access decision leaves an event for a view that returned an
// error; the log errs on the side of recording.)
func (s *Server) readPatient(ctx context.Context, p *Principal, action, patientID, resourceType, resourceID string, need care.Level,
	fn func(tx *store.Tx, sc patientScope) error) error {
	var refused error
	var audited chan error
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		sc, err := s.access(ctx, tx, p, patientID, need, false)
		if err != nil {
			refused = err
			return err
		}
		e := s.event(ctx, p, action, patientID, resourceType, resourceID)
		audited = make(chan error, 1)
		if store.Joined(ctx) { // inside a sync push's transaction: in turn
			audited <- audit.Append(ctx, tx, e)
		} else {
			go func() { audited <- s.db.Write(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, e) }) }()
		}
		return fn(tx, sc)
	})
	if refused != nil {
		return s.denied(ctx, p, action, patientID, resourceType, resourceID, refused)
	}
	if audited != nil {
		if aerr := <-audited; aerr != nil {
			return aerr
		}
	}
	return err
}

// auditAfterRead commits the audit events of a read that ran in a read
// transaction, before its answer leaves: counting or listing in the write
// transaction would hold every writer of the server for the read's length.
func (s *Server) auditAfterRead(ctx context.Context, events []*audit.Event) error {
	if len(events) == 0 {
		return nil
	}
	return s.db.Write(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, events...) })
}
