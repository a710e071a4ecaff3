package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// preauth answers a request for an operation that takes a body and needs a
// session with 401 before anything reads the body, unless the request
// carries the cookie of a live session of an active account. huma reads
// (and buffers, up to the operation's MaxBodyBytes: 20 MiB for an upload)
// the body before the handler runs and authenticate looks at the cookie,
// so without this anyone could make the server hold 20 MiB per request.
//
// The operations come from the OpenAPI document (a request body and a
// security requirement), so an operation added later is covered. The
// check is the cheap half of authenticate: the same lookup, the timeouts
// and the account status, with the same answers (session_expired,
// unauthenticated); the handler still runs authenticate in full (session
// stage, password expiry, the idle clock's refresh).
func (s *Server) preauth(api huma.API, next http.Handler) http.Handler {
	gate := http.NewServeMux()
	for path, item := range api.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post, http.MethodPut: item.Put,
			http.MethodPatch: item.Patch, http.MethodDelete: item.Delete} {
			if op == nil || op.RequestBody == nil || len(op.Security) == 0 {
				continue
			}
			gate.HandleFunc(method+" "+muxPattern(path), func(http.ResponseWriter, *http.Request) {})
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := gate.Handler(r); pattern != "" {
			l, err := s.sessionLive(r)
			if err != nil {
				code := care.CodeUnauthenticated
				var ce *care.Error
				if errors.As(err, &ce) {
					// A device whose account was withdrawn is told to wipe,
					// as authenticate would tell it.
					err = s.wipeOrRefuse(r.Context(), err)
				}
				if errors.As(err, &ce) {
					code = ce.Code
				} else if store.IsUnavailable(err) {
					w.Header().Set("Retry-After", strconv.Itoa(retryUnavailable))
					code = codeUnavailable
				} else {
					s.log.ErrorContext(r.Context(), "check session before body", "request_id", requestID(r.Context()), "err", err)
					code = codeInternal
				}
				writeProblem(w, r.Context(), 0, code, "")
				return
			}
			// authenticate takes the lookup from here instead of reading it again.
			r = r.WithContext(context.WithValue(r.Context(), sessionLookupKey{}, l))
		}
		next.ServeHTTP(w, r)
	})
}

// sessionLive returns the session r's cookie names when it is within its
// timeouts and its account is active; otherwise the refusal authenticate
// gives (or a failure to look).
func (s *Server) sessionLive(r *http.Request) (*sessionLookup, error) {
	ctx := r.Context()
	tok := token(ctx)
	if tok == "" {
		return nil, care.ErrUnauthenticated
	}
	l := &sessionLookup{hash: hashToken(tok)}
	var err error
	if l.sess, l.user, err = s.lookupSession(ctx, l.hash); err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case now.Sub(l.sess.LastSeenAt) >= s.opt.SessionIdle || now.Sub(l.sess.CreatedAt) >= s.opt.SessionMax:
		return nil, &care.Error{Code: care.CodeSessionExpired}
	case l.user.Status != care.StatusActive:
		return nil, care.ErrUnauthenticated
	}
	return l, nil
}

// sessionLookup is a session and its user as read for one request.
type sessionLookup struct {
	hash string
	sess store.Session
	user store.User
}

type sessionLookupKey struct{}

// muxPattern is an OpenAPI path as a net/http pattern: a literal suffix
// after the last parameter ("{token}.ics") is dropped, as suffixMux does.
func muxPattern(path string) string {
	i := strings.LastIndex(path, "}")
	if i >= 0 && i < len(path)-1 && !strings.Contains(path[i:], "/") {
		return path[:i+1]
	}
	return path
}
