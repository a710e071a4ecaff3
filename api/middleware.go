package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"tsunagu/internal/care"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyAddress
	keyToken
	keyLang
	keyUserAgent
	keyTLS
	keyDevice
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "tsunagu_session"

// middleware gives every request an id of the server's own making, its
// client address, its language and its session token in the context, logs
// it (method, path of opaque ids, status, duration — never bodies or query
// strings), sets the security headers every answer carries, refuses
// state-changing requests from other origins (sameOrigin) and turns a panic
// into an opaque 500. A client's X-Request-ID is only logged beside the
// server's id (client_request_id), bounded; it never reaches the audit chain.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		b := make([]byte, 8)
		rand.Read(b)
		rid := hex.EncodeToString(b)
		tls := r.TLS != nil || (s.opt.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https")
		securityHeaders(w.Header(), r.URL.Path, tls)
		w.Header().Set("X-Request-ID", rid)
		ctx := context.WithValue(r.Context(), keyRequestID, rid)
		ctx = context.WithValue(ctx, keyAddress, s.clientAddress(r))
		ctx = context.WithValue(ctx, keyLang, language(r.Header.Get("Accept-Language")))
		ctx = context.WithValue(ctx, keyUserAgent, r.UserAgent())
		ctx = context.WithValue(ctx, keyTLS, tls)
		if c, err := r.Cookie(SessionCookie); err == nil {
			ctx = context.WithValue(ctx, keyToken, c.Value)
		}
		if d := r.Header.Get(DeviceHeader); d != "" && len(d) <= 200 {
			ctx = context.WithValue(ctx, keyDevice, d)
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				s.log.ErrorContext(ctx, "panic", "request_id", rid, "panic", p, "stack", string(debug.Stack()))
				writeProblem(rec, ctx, http.StatusInternalServerError, codeInternal, "")
			}
			level := slog.LevelInfo
			if rec.status >= 500 {
				level = slog.LevelError
			}
			attrs := []any{"request_id", rid, "method", r.Method, "path", logPath(r.URL.Path),
				"status", rec.status, "duration_ms", time.Since(start).Milliseconds()}
			if c := clientRequestID(r.Header.Get("X-Request-ID")); c != "" {
				attrs = append(attrs, "client_request_id", c)
			}
			s.log.Log(ctx, level, "request", attrs...)
			if s.metrics != nil {
				// The route's template, never the path: ids stay out of labels.
				_, route := s.mux.Handler(r)
				s.metrics.Request(route, rec.status, time.Since(start), r.URL.Path == "/api/v1/events")
			}
		}()
		if !s.sameOrigin(r, tls) {
			writeProblem(rec, ctx, 0, codeCrossOrigin, "")
			return
		}
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// clientRequestID is a client's X-Request-ID as it may be logged: printable
// ASCII, at most 64 characters; anything else is dropped.
func clientRequestID(v string) string {
	if len(v) > 64 || strings.ContainsFunc(v, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return ""
	}
	return v
}

// securityHeaders are set on every answer. API answers (everything but the
// web app, whose shell sets its own policy) may not be framed, sniffed,
// cached or run as a page; under TLS browsers are told to keep to HTTPS.
func securityHeaders(h http.Header, path string, tls bool) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	if tls {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	if strings.HasPrefix(path, "/api/") || path == "/openapi" || strings.HasPrefix(path, "/openapi.") {
		h.Set("Cache-Control", "no-store")
	}
}

// stateChanging are the methods a foreign page must not send with the
// user's cookie.
var stateChanging = map[string]bool{http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true}

// sameOrigin reports whether r may go on: any safe method, or a
// state-changing one that no browser marked as coming from another site
// (Sec-Fetch-Site) and whose Origin, when sent, is the server's own — the
// public URL, or, while that is only derived from the listen address, also
// the scheme and host the request came to. SameSite cookies alone let a sibling subdomain or an old browser
// through.
func (s *Server) sameOrigin(r *http.Request, tls bool) bool {
	if !stateChanging[r.Method] {
		return true
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default: // cross-site, same-site
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser's cross-origin request: browsers send Origin on those
	}
	if u, err := url.Parse(s.opt.PublicURL); err == nil && strings.EqualFold(origin, u.Scheme+"://"+u.Host) {
		return true
	}
	if !s.opt.PublicURLDerived {
		return false
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return strings.EqualFold(origin, scheme+"://"+r.Host)
}

// logPath is the path as logged: a calendar feed's path is its credential,
// so it is never written out.
func logPath(p string) string {
	if strings.HasPrefix(p, "/calendar/") {
		return "/calendar/…"
	}
	return p
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// clientAddress is the address of r's client. Behind the proxy
// (TrustProxy) it is the last entry of X-Forwarded-For: the one the proxy
// appended (or the only one, when the proxy replaces the header). The
// entries before it are what the client sent, which anyone can write —
// trusting them would let a client pick a new address for each request and
// escape the per-address sign-in limit.
func (s *Server) clientAddress(r *http.Request) string {
	if s.opt.TrustProxy {
		if xffs := r.Header.Values("X-Forwarded-For"); len(xffs) > 0 {
			xff := xffs[len(xffs)-1]
			last := xff[strings.LastIndex(xff, ",")+1:]
			if ip := net.ParseIP(strings.TrimSpace(last)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func language(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(tag)
		if strings.HasPrefix(tag, "ja") {
			return "ja"
		}
		if strings.HasPrefix(tag, "en") {
			return "en"
		}
	}
	return "ja"
}

func requestID(ctx context.Context) string { v, _ := ctx.Value(keyRequestID).(string); return v }
func address(ctx context.Context) string   { v, _ := ctx.Value(keyAddress).(string); return v }
func token(ctx context.Context) string     { v, _ := ctx.Value(keyToken).(string); return v }
func isTLS(ctx context.Context) bool       { v, _ := ctx.Value(keyTLS).(bool); return v }
func lang(ctx context.Context) string {
	if v, _ := ctx.Value(keyLang).(string); v != "" {
		return v
	}
	return "ja"
}

// requireMediaType is a huma middleware of every operation: a
// state-changing request that carries a body (or names its type) must send
// one of the media types the operation's request body lists in the OpenAPI
// document — application/json, and image types for the attachment upload;
// operations without a body take only JSON (an empty object). 415 otherwise:
// a form or text/plain post from another page never reaches a handler.
func requireMediaType(hctx huma.Context, next func(huma.Context)) {
	r, w := humago.Unwrap(hctx)
	ct := r.Header.Get("Content-Type")
	if !stateChanging[r.Method] || (ct == "" && r.ContentLength == 0) {
		next(hctx)
		return
	}
	mt, _, err := mime.ParseMediaType(ct)
	accepted := err == nil && mt == "application/json"
	if op := hctx.Operation(); op != nil && op.RequestBody != nil && err == nil {
		_, accepted = op.RequestBody.Content[mt]
	}
	if !accepted {
		code := codeMediaType
		if op := hctx.Operation(); op != nil && (op.OperationID == "uploadAttachment" || op.OperationID == "uploadStaffAttachment") {
			code = care.CodeUnsupportedFormat // the photo uploads: its message tells what photos to send (HEIC…)
		}
		writeProblem(w, hctx.Context(), 0, code, "")
		return
	}
	next(hctx)
}

// fallback answers what no route of mux took: under /api/ (and without a
// web app, anywhere) a problem — 405 when the path has routes for other
// methods, 404 otherwise — never the web app's index.html; the rest goes to
// the web app.
func fallback(mux *http.ServeMux, app http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if app != nil && !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/api" {
			app.ServeHTTP(w, r)
			return
		}
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeProblem(w, r.Context(), 0, "method_not_allowed", "")
			return
		}
		writeProblem(w, r.Context(), 0, care.CodeNotFound, "")
	})
}
