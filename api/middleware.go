package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyAddress
	keyToken
	keyLang
	keyUserAgent
	keyTLS
	keyHost
	keyDevice
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "tsunagu_session"

// middleware gives every request an id, its client address, its language
// and its session token in the context, logs it (method, path of opaque
// ids, status, duration — never bodies or query strings) and turns a panic
// into an opaque 500.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := r.Header.Get("X-Request-ID")
		if len(rid) == 0 || len(rid) > 64 || strings.ContainsFunc(rid, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			b := make([]byte, 8)
			rand.Read(b)
			rid = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", rid)
		ctx := context.WithValue(r.Context(), keyRequestID, rid)
		ctx = context.WithValue(ctx, keyAddress, s.clientAddress(r))
		ctx = context.WithValue(ctx, keyLang, language(r.Header.Get("Accept-Language")))
		ctx = context.WithValue(ctx, keyUserAgent, r.UserAgent())
		ctx = context.WithValue(ctx, keyHost, r.Host)
		ctx = context.WithValue(ctx, keyTLS, r.TLS != nil || (s.opt.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https"))
		if c, err := r.Cookie(SessionCookie); err == nil {
			ctx = context.WithValue(ctx, keyToken, c.Value)
		}
		if d := r.Header.Get(DeviceHeader); d != "" && len(d) <= 200 {
			ctx = context.WithValue(ctx, keyDevice, d)
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Cache-Control", "no-store")
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
			s.log.Log(ctx, level, "request", "request_id", rid, "method", r.Method, "path", logPath(r.URL.Path),
				"status", rec.status, "duration_ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
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

func (s *Server) clientAddress(r *http.Request) string {
	if s.opt.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
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
func host(ctx context.Context) string      { v, _ := ctx.Value(keyHost).(string); return v }
func isTLS(ctx context.Context) bool       { v, _ := ctx.Value(keyTLS).(bool); return v }
func lang(ctx context.Context) string {
	if v, _ := ctx.Value(keyLang).(string); v != "" {
		return v
	}
	return "ja"
}
