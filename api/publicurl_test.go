package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tsunagu/api"
	"tsunagu/internal/store/storetest"
)

const forgedHost = "attacker.example"

// forged sends a request whose Host header names another site, as a
// client (or a proxy that passes Host through) can.
func (c *client) forged(method, path string, body any, contentType string, raw []byte) response {
	c.h.t.Helper()
	var rd io.Reader
	switch {
	case raw != nil:
		rd = bytes.NewReader(raw)
	case body != nil:
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
		contentType = "application/json"
	}
	req, _ := http.NewRequest(method, c.h.srv.URL+path, rd)
	req.Host = forgedHost
	req.Header.Set("X-Forwarded-Host", forgedHost)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	// net/http picks cookies by req.Host, so the jar's are added by hand.
	for _, ck := range c.c.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: string(b), header: res.Header}
}

// TestAbsoluteURLsUseThePublicOrigin: the calendar-feed URL (a credential)
// and the links in the feed start with the configured public origin even
// when the request names another host, and no operation of the API (each
// one in the OpenAPI document, as a team member who reaches it) nor the
// plain handlers ever answer with the forged host in a header or body.
func TestAbsoluteURLsUseThePublicOrigin(t *testing.T) {
	const origin = "https://tsunagu.example.jp"
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine, func(o *api.Options) { o.PublicURL = origin })
		r := h.mustRegion()
		r.attachmentID = h.mustAttachment(r.doctorC, r.patientID, accessPhoto)
		var v struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "doctor_visit", "assignee_ids": []string{r.doctor.ID},
			"starts_at": "2026-11-23T10:00:00+09:00", "ends_at": "2026-11-23T10:45:00+09:00"}).json(t, &v)
		r.visitID = v.ID

		// The feed URL and the links inside the feed.
		var feed struct{ URL string }
		fr := r.doctorC.forged("POST", "/api/v1/me/calendar-feed", nil, "", nil)
		if fr.status != 200 {
			t.Fatalf("calendar feed: %d %s", fr.status, fr.body)
		}
		fr.json(t, &feed)
		u, err := url.Parse(feed.URL)
		if err != nil || u.Scheme+"://"+u.Host != origin || !strings.HasPrefix(u.Path, "/calendar/") {
			t.Fatalf("feed URL %q is not on %s", feed.URL, origin)
		}
		ics := h.anon().forged("GET", u.Path, nil, "", nil)
		if ics.status != 200 || !strings.Contains(strings.ReplaceAll(ics.body, "\r\n ", ""), "URL:"+origin+"/#/visits/"+v.ID) {
			t.Fatalf("feed %d does not link to %s:\n%s", ics.status, origin, ics.body)
		}

		leaks := func(what string, res response) {
			t.Helper()
			if strings.Contains(strings.ToLower(res.body), forgedHost) {
				t.Errorf("%s: the forged host is in the body: %s", what, res.body)
			}
			for k, vs := range res.header {
				for _, hv := range vs {
					if strings.Contains(strings.ToLower(hv), forgedHost) {
						t.Errorf("%s: the forged host is in header %s: %s", what, k, hv)
					}
				}
			}
		}
		leaks("calendar feed", ics)
		for _, o := range operations(h) {
			if o.id == "signOut" {
				continue // would end the session the sweep runs on
			}
			c := accessCases[o.id]
			path, body := c.request(o, r)
			leaks(o.id, r.doctorC.forged(o.method, path, body, c.contentType, c.raw))
		}
		var att struct{ URL string }
		r.doctorC.forged("GET", "/api/v1/attachments/"+r.attachmentID, nil, "", nil).json(t, &att)
		leaks("attachment redirect", r.doctorC.forged("GET", "/api/v1/attachments/"+r.attachmentID+"?redirect=1", nil, "", nil))
		leaks("blob", r.doctorC.forged("GET", att.URL, nil, "", nil))
		leaks("healthz", h.anon().forged("GET", "/healthz", nil, "", nil))
		leaks("unknown path", h.anon().forged("GET", "/nowhere", nil, "", nil))
		leaks("sign-out", r.doctorC.forged("DELETE", "/api/v1/session", nil, "", nil))
	})
}
