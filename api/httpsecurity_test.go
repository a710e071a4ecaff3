package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"tsunagu/api"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// stateChangingOps are the POST, PUT, PATCH and DELETE operations of the
// OpenAPI document, with a body each would accept.
func stateChangingOps(t *testing.T, h *harness, r *region) []struct {
	operation
	body []byte
	ct   string
} {
	t.Helper()
	var out []struct {
		operation
		body []byte
		ct   string
	}
	for _, o := range operations(h) {
		if o.method == http.MethodGet {
			continue
		}
		c := accessCases[o.id]
		body, ct := []byte("{}"), "application/json"
		switch {
		case c.raw != nil:
			body, ct = c.raw, c.contentType
		case c.body != nil:
			body = mustJSON(c.body(r))
		}
		out = append(out, struct {
			operation
			body []byte
			ct   string
		}{o, body, ct})
	}
	if len(out) < 20 {
		t.Fatalf("only %d state-changing operations", len(out))
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestForeignOriginRefused sends every state-changing operation of the
// OpenAPI document as a page of another site would (its Origin, or
// Sec-Fetch-Site cross-site or same-site) and expects 403 cross_origin with
// nothing changed; from the server's own origin the same requests pass.
func TestForeignOriginRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		r.attachmentID = h.mustAttachment(r.doctorC, r.patientID, accessPhoto)
		r.visitID = mustNurseVisit(t, r)
		ops := stateChangingOps(t, h, r)
		foreign := []map[string]string{
			{"Origin": "https://evil.example"},
			{"Origin": "null"},
			{"Origin": strings.Replace(h.srv.URL, "http://", "https://", 1)}, // another scheme is another origin
			{"Sec-Fetch-Site": "cross-site"},
			{"Sec-Fetch-Site": "same-site", "Origin": h.srv.URL},
		}
		var before int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &before, `SELECT COUNT(*) FROM audit_event`)
		})
		for _, o := range ops {
			path := fill(o.path, r)
			if c := accessCases[o.id]; c.query != nil {
				path += c.query(r)
			}
			for _, hdr := range foreign {
				for _, withType := range []bool{true, false} {
					hh := map[string]string{}
					for k, v := range hdr {
						hh[k] = v
					}
					if withType {
						hh["Content-Type"] = o.ct
					}
					res := r.doctorC.send(o.method, path, hh, o.body)
					if res.status != 403 || res.code() != "cross_origin" {
						t.Errorf("%s %s with %v: want 403 cross_origin, got %d %s", o.id, path, hh, res.status, res.body)
					}
				}
			}
		}
		// Nothing reached a handler: no audit event, the session lives.
		var after int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &after, `SELECT COUNT(*) FROM audit_event`)
		})
		if after != before {
			t.Errorf("refused requests left %d audit events", after-before)
		}
		r.doctorC.must(200, "GET", "/api/v1/me", nil)

		// The server's own origin (the app's fetches) passes.
		own := map[string]string{"Origin": h.srv.URL, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}
		if res := r.doctorC.send("POST", "/api/v1/records/"+r.recordID+"/read", own, []byte("{}")); res.status != 200 {
			t.Errorf("same-origin POST: %d %s", res.status, res.body)
		}
	})
}

// TestForeignOriginPublicURL: with a public URL configured, it alone is
// the server's origin, whatever Host the request names.
func TestForeignOriginPublicURL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine, func(o *api.Options) { o.PublicURL = "https://tsunagu.example.jp/" })
		r := h.mustRegion()
		body := []byte("{}")
		path := "/api/v1/records/" + r.recordID + "/read"
		if res := r.doctorC.send("POST", path, map[string]string{"Origin": h.srv.URL, "Content-Type": "application/json"}, body); res.status != 403 || res.code() != "cross_origin" {
			t.Errorf("Origin of the request's own host with a public URL set: %d %s", res.status, res.body)
		}
		if res := r.doctorC.send("POST", path, map[string]string{"Origin": "https://tsunagu.example.jp", "Content-Type": "application/json"}, body); res.status != 200 {
			t.Errorf("Origin of the public URL: %d %s", res.status, res.body)
		}
	})
}

// TestBodyMediaType sends every state-changing operation of the OpenAPI
// document a body that is not of a media type its request body lists (a
// form post, text/plain, none at all) and expects 415 with a stable code;
// the listed types pass.
func TestBodyMediaType(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		r.attachmentID = h.mustAttachment(r.doctorC, r.patientID, accessPhoto)
		r.visitID = mustNurseVisit(t, r)
		for _, o := range stateChangingOps(t, h, r) {
			path := fill(o.path, r)
			if c := accessCases[o.id]; c.query != nil {
				path += c.query(r)
			}
			want := "unsupported_content_type"
			if strings.HasPrefix(o.ct, "image/") {
				want = care.CodeUnsupportedFormat
			}
			for _, ct := range []string{"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/json-patch+json", "nonsense"} {
				hdr := map[string]string{}
				if ct != "" {
					hdr["Content-Type"] = ct
				}
				res := r.doctorC.send(o.method, path, hdr, o.body)
				if res.status != 415 || res.code() != want {
					t.Errorf("%s %s with Content-Type %q: want 415 %s, got %d %s", o.id, path, ct, want, res.status, res.body)
				}
			}
		}
		// What the OpenAPI document lists passes the check.
		for ct, body := range map[string][]byte{"application/json": []byte("{}"), "application/json; charset=utf-8": []byte("{}")} {
			if res := r.doctorC.send("POST", "/api/v1/records/"+r.recordID+"/read", map[string]string{"Content-Type": ct}, body); res.status != 200 {
				t.Errorf("POST with %s: %d %s", ct, res.status, res.body)
			}
		}
		if res := r.doctorC.send("POST", "/api/v1/records/"+r.recordID+"/read", nil, nil); res.status != 200 {
			t.Errorf("POST without a body: %d %s", res.status, res.body)
		}
		if res := r.nurseC.raw("PUT", "/api/v1/attachments/"+newID()+"?patient_id="+r.patientID, "image/png", accessPhoto); res.status != 201 {
			t.Errorf("upload as image/png: %d %s", res.status, res.body)
		}
	})
}

// TestSecurityHeaders checks the headers of every answer of every
// operation, of unknown API paths (problem+json, never the web app) and
// HSTS under TLS.
func TestSecurityHeaders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<!doctype html><title>app</title>"))
		})
		h := newHarnessDeps(t, engine, mustDisk(t), func(d *api.Deps) { d.Static = app }, func(o *api.Options) { o.TrustProxy = true })
		r := h.mustRegion()
		check := func(what string, res response, api bool) {
			t.Helper()
			for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
				if got := res.header.Get(k); got != want {
					t.Errorf("%s: %s = %q, want %q", what, k, got, want)
				}
			}
			if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: Content-Security-Policy %q", what, csp)
			}
			if api && res.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: Cache-Control %q, want no-store", what, res.header.Get("Cache-Control"))
			}
			if res.header.Get("Strict-Transport-Security") != "" {
				t.Errorf("%s: HSTS over plain HTTP", what)
			}
		}
		anon := h.anon()
		for _, o := range operations(h) {
			if !strings.HasPrefix(o.path, "/api/") {
				continue
			}
			path := fill(o.path, r)
			check(o.id+" signed in", r.doctorC.send(o.method, path, map[string]string{"Content-Type": "application/json"}, []byte("{}")), true)
			check(o.id+" anonymous", anon.send(o.method, path, map[string]string{"Content-Type": "application/json"}, []byte("{}")), true)
		}
		check("openapi", anon.send("GET", "/openapi.yaml", nil, nil), true)

		for _, p := range []string{"/api/v1/nope", "/api/v2/patients", "/api/", "/api/v1/patients/" + r.patientID + "/nope"} {
			res := r.doctorC.send("GET", p, nil, nil)
			check(p, res, true)
			if res.status != 404 || res.code() != care.CodeNotFound || !strings.HasPrefix(res.header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("GET %s: want a 404 problem, got %d %s %s", p, res.status, res.header.Get("Content-Type"), res.body)
			}
		}
		if res := r.doctorC.send("PUT", "/api/v1/session", nil, nil); res.status != 405 || res.code() != "method_not_allowed" || !strings.Contains(res.header.Get("Allow"), "POST") {
			t.Errorf("PUT /api/v1/session: want a 405 problem, got %d %v %s", res.status, res.header, res.body)
		}
		if res := anon.send("GET", "/today", nil, nil); res.status != 200 || !strings.Contains(res.body, "<title>app</title>") {
			t.Errorf("GET /today: the app, got %d %s", res.status, res.body)
		}

		// HSTS only when the request came over TLS (here: a trusted proxy's word).
		tls := anon.send("GET", "/api/v1/me", map[string]string{"X-Forwarded-Proto": "https"}, nil)
		if hsts := tls.header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
			t.Errorf("over TLS: Strict-Transport-Security %q", hsts)
		}
	})
}

// TestClientRequestIDNeverAudited: the server makes its own id for every
// request; a client's X-Request-ID is logged beside it, bounded, and never
// reaches the answer or the audit chain.
func TestClientRequestIDNeverAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		var logMu sync.Mutex
		var logs bytes.Buffer
		h := newHarnessDeps(t, engine, mustDisk(t), func(d *api.Deps) {
			d.Log = slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, nil))
		})
		r := h.mustRegion()
		const clientID = "client-chosen-id-4711"
		c := h.anon()
		res := c.send("POST", "/api/v1/session", map[string]string{"Content-Type": "application/json", "X-Request-ID": clientID},
			mustJSON(map[string]any{"login_id": r.doctor.LoginID, "password": testPassword}))
		if res.status != 200 {
			t.Fatalf("sign in: %d %s", res.status, res.body)
		}
		if got := res.header.Get("X-Request-ID"); got == "" || got == clientID {
			t.Errorf("answer's X-Request-ID = %q: want the server's own", got)
		}
		c.send("GET", "/api/v1/patients/"+r.patientID, map[string]string{"X-Request-ID": clientID}, nil)
		c.send("GET", "/api/v1/me", map[string]string{"X-Request-ID": strings.Repeat("x", 65) + "-too-long"}, nil)
		var ids []string
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Select(context.Background(), &ids, `SELECT request_id FROM audit_event`)
		})
		if len(ids) < 3 {
			t.Fatalf("only %d audit events", len(ids))
		}
		for _, id := range ids {
			if id == clientID || len(id) != 16 {
				t.Errorf("audit event with request id %q", id)
			}
		}
		logMu.Lock()
		defer logMu.Unlock()
		if !strings.Contains(logs.String(), "client_request_id="+clientID) {
			t.Error("the client's id is not logged beside the server's")
		}
		if strings.Contains(logs.String(), "-too-long") {
			t.Error("an over-long client id was logged")
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
