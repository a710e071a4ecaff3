package api_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/api"
	"tsunagu/internal/care"
	"tsunagu/internal/store/storetest"
)

// countingBody is a request body of n bytes that records how many of them
// were read.
type countingBody struct {
	r    *bytes.Reader
	read int
}

func newCountingBody(b []byte) *countingBody { return &countingBody{r: bytes.NewReader(b)} }

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

// TestBodyNotReadBeforeSession: every operation of the OpenAPI document
// that takes a body and needs a session answers a request without a live
// session of an active account with the 401 its handler would give, and
// reads none of the body (20 anonymous 20 MB uploads once took the server
// from 44 to 523 MB). Anonymous, an unknown cookie, a suspended account's
// session and one past its idle timeout are tried on each.
func TestBodyNotReadBeforeSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		handler := h.srv.Config.Handler
		large := bytes.Repeat([]byte("{"), 20<<20)

		r.visitID, r.attachmentID = newID(), newID() // never reached: any id
		idle := h.signIn(h.mustUser(r.station, care.ProfNurse))
		h.clock.Advance(h.opt.SessionIdle)
		suspended := h.signIn(h.mustUser(r.station, care.ProfNurse))
		if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`UPDATE app_user SET status = 'suspended' WHERE login_id = ?`), suspended.who); err != nil {
			t.Fatal(err)
		}
		live := h.signIn(r.doctor)
		anonymous := h.anon().must(401, "GET", "/api/v1/me", nil)

		callers := []struct {
			who, cookie, code string
		}{
			{"anonymous", "", care.CodeUnauthenticated},
			{"unknown cookie", "not-a-session-token", care.CodeUnauthenticated},
			{"suspended", sessionCookie(t, h, suspended), care.CodeUnauthenticated},
			{"idle", sessionCookie(t, h, idle), care.CodeSessionExpired},
		}
		send := func(method, path, cookie string, body *countingBody, size int) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, path, body)
			req.ContentLength = int64(size)
			req.Header.Set("Content-Type", "application/json")
			if strings.HasPrefix(path, "/api/v1/attachments/") || strings.HasPrefix(path, "/api/v1/staff/attachments/") {
				req.Header.Set("Content-Type", "image/jpeg")
			}
			if strings.HasPrefix(path, "/api/v1/careplan/") { // a 第6表 file
				req.Header.Set("Content-Type", "text/csv")
			}
			if cookie != "" {
				req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: cookie})
			}
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			return rec
		}

		checked := 0
		for path, item := range h.hapi.OpenAPI().Paths {
			for method, o := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
				if o == nil || o.RequestBody == nil || len(o.Security) == 0 {
					continue
				}
				target := fill(path, r) + "?patient_id=" + r.patientID
				for _, c := range callers {
					body := newCountingBody(large)
					rec := send(method, target, c.cookie, body, len(large))
					if rec.Code != 401 || !strings.Contains(rec.Body.String(), `"code":"`+c.code+`"`) {
						t.Errorf("%s %s as %s: %d %s, want 401 %s", method, path, c.who, rec.Code, rec.Body, c.code)
					}
					if body.read != 0 {
						t.Errorf("%s %s as %s: read %d bytes of the body before refusing", method, path, c.who, body.read)
					}
					if c.code == care.CodeUnauthenticated && stripRequestID(strings.TrimSpace(rec.Body.String())) != stripRequestID(strings.TrimSpace(anonymous.body)) {
						t.Errorf("%s %s as %s: %s differs from the handler's 401 %s", method, path, c.who, rec.Body, anonymous.body)
					}
				}
				// With a live session the body is read: the counter works.
				body := newCountingBody([]byte(`{}`))
				send(method, target, sessionCookie(t, h, live), body, 2)
				if body.read == 0 {
					t.Errorf("%s %s with a live session: the body was not read", method, path)
				}
				checked++
			}
		}
		if checked < 10 {
			t.Fatalf("only %d operations with a body checked", checked)
		}
		// Sign-in takes a body without a session.
		body := newCountingBody([]byte(`{"login_id":"x","password":"y"}`))
		if rec := send("POST", "/api/v1/session", "", body, 31); rec.Code == 401 && body.read == 0 {
			t.Errorf("sign-in refused before reading its body: %d %s", rec.Code, rec.Body)
		}
	})
}

// sessionCookie is the session token in c's cookie jar.
func sessionCookie(t *testing.T, h *harness, c *client) string {
	t.Helper()
	for _, k := range c.c.Jar.Cookies(mustURL(h.srv.URL)) {
		if k.Name == api.SessionCookie {
			return k.Value
		}
	}
	t.Fatalf("%s has no session cookie", c.who)
	return ""
}
