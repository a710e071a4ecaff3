package api_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"tsunagu/api"
	"tsunagu/internal/store/storetest"
)

type icalEvent struct {
	UID        string   `json:"uid"`
	Summary    string   `json:"summary"`
	Start      string   `json:"start"`
	End        string   `json:"end"`
	AllDay     bool     `json:"allDay"`
	URL        string   `json:"url"`
	Status     string   `json:"status"`
	Properties []string `json:"properties"`
}

var icalcheckOnce sync.Once
var icalcheckErr error

// parseICS parses a feed with ical.js (api/testdata/icalcheck), an
// independent implementation of RFC 5545. Without node and npm the test is
// skipped, except under CI=true, where it fails.
func parseICS(t *testing.T, ics string) (name string, events []icalEvent) {
	t.Helper()
	dir := filepath.Join("testdata", "icalcheck")
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required under CI: %v", tool, err)
			}
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	icalcheckOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "ical.js")); err == nil {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			icalcheckErr = err
			t.Logf("npm ci: %s", out)
		}
	})
	if icalcheckErr != nil {
		t.Fatalf("npm ci in %s: %v", dir, icalcheckErr)
	}
	cmd := exec.Command("node", "check.mjs")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(ics)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ical.js rejects the feed: %v\n%s\n%s", err, stderr.String(), ics)
	}
	var res struct {
		Name   string      `json:"name"`
		Events []icalEvent `json:"events"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("icalcheck output %q: %v", out, err)
	}
	return res.Name, res.Events
}

func TestCalendarFeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		// Mon/Thu 10:00–10:45 JST, four times from 23 Nov; the second
		// occurrence is cancelled.
		s := mustVisit(t, r.doctorC, r, map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
			"starts_at": rfc("2026-11-23 10:00"), "ends_at": rfc("2026-11-23 10:45"), "note": canaryName + "さん宅 鍵は植木鉢の下",
			"recurrence": map[string]any{"freq": "weekly", "interval": 1, "by_day": []string{"MO", "TH"}, "count": 4}})
		r.doctorC.must(200, "PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 1, "occurrence_start": rfc("2026-11-26 10:00"), "status": "cancelled"})
		mustVisit(t, r.doctorC, r, map[string]any{"kind": "care_conference", "assignee_ids": []string{r.nurse.ID, r.doctor.ID}, "all_day": true,
			"starts_at": rfc("2026-12-01 00:00"), "ends_at": rfc("2026-12-02 00:00")})
		// Outside the −30…+90 day window (now is 21 Nov 2026).
		mustVisit(t, r.doctorC, r, map[string]any{"kind": "doctor_visit", "assignee_ids": []string{r.nurse.ID},
			"starts_at": rfc("2027-03-01 10:00"), "ends_at": rfc("2027-03-01 11:00")})

		var feed struct{ URL string }
		r.nurseC.must(200, "POST", "/api/v1/me/calendar-feed", nil).json(t, &feed)
		u, err := url.Parse(feed.URL)
		if err != nil || !strings.HasPrefix(feed.URL, api.DefaultPublicURL+"/calendar/") || !strings.HasSuffix(u.Path, ".ics") {
			t.Fatalf("feed url %q", feed.URL)
		}
		res := h.anon().must(200, "GET", u.Path, nil)
		ics := res.body
		if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
			t.Errorf("Content-Type %q", ct)
		}
		// No patient data anywhere: not the name, not the address, not the note.
		for _, secret := range []string{canaryName, "カナリア", "架空県つなぐ市1-1", "植木鉢", r.patientID} {
			if strings.Contains(ics, secret) {
				t.Errorf("feed contains %q:\n%s", secret, ics)
			}
		}
		// RFC 5545 form: CRLF only, no line over 75 octets.
		if strings.Contains(strings.ReplaceAll(ics, "\r\n", ""), "\n") || !strings.HasSuffix(ics, "\r\n") {
			t.Error("feed has bare line feeds")
		}
		for _, l := range strings.Split(ics, "\r\n") {
			if len(l) > 75 {
				t.Errorf("line of %d octets: %q", len(l), l)
			}
		}
		name, events := parseICS(t, ics)
		if name != "つなぐ 訪問予定" {
			t.Errorf("calendar name %q", name)
		}
		if len(events) != 5 {
			t.Fatalf("%d events, want 4 occurrences and the conference:\n%s", len(events), ics)
		}
		byStart := map[string]icalEvent{}
		uids := map[string]bool{}
		for _, e := range events {
			byStart[e.Start] = e
			uids[e.UID] = true
			for _, p := range e.Properties {
				if p == "location" || p == "description" || p == "attendee" || p == "organizer" {
					t.Errorf("event %s has %s", e.UID, p)
				}
			}
		}
		if len(uids) != 5 {
			t.Errorf("UIDs are not unique: %v", uids)
		}
		first := byStart["2026-11-23T01:00:00.000Z"]
		if first.End != "2026-11-23T01:45:00.000Z" || first.Summary != "訪問看護 10:00–10:45" || first.Status != "CONFIRMED" ||
			first.URL != api.DefaultPublicURL+"/#/visits/"+s.ID || first.UID != s.ID+"-20261123T010000Z@tsunagu" {
			t.Errorf("first occurrence: %+v", first)
		}
		if c := byStart["2026-11-26T01:00:00.000Z"]; c.Status != "CANCELLED" || !strings.Contains(c.Summary, "中止") {
			t.Errorf("cancelled occurrence: %+v", c)
		}
		if c := byStart["2026-12-01"]; !c.AllDay || c.End != "2026-12-02" || !strings.HasPrefix(c.Summary, "担当者会議") {
			t.Errorf("all-day conference: %+v", c)
		}
		// UIDs are stable from one fetch to the next.
		_, again := parseICS(t, h.anon().must(200, "GET", u.Path, nil).body)
		for _, e := range again {
			if !uids[e.UID] {
				t.Errorf("UID %s changed between fetches", e.UID)
			}
		}
		// The fetch is audited, as the feed's owner.
		var n int
		h.db.SQL().Get(&n, h.db.SQL().Rebind(`SELECT COUNT(*) FROM audit_event WHERE action = 'calendar.feed' AND actor_id = ? AND patient_id = ?`), r.nurse.ID, r.patientID)
		if n != 2 {
			t.Errorf("%d calendar.feed audit events, want 2", n)
		}

		// A wrong token, a rotated one and a revoked one: 404, no data.
		unknown := h.anon().must(404, "GET", "/calendar/"+strings.Repeat("A", 43)+".ics", nil)
		h.anon().must(404, "GET", strings.TrimSuffix(u.Path, ".ics"), nil)
		var rotated struct{ URL string }
		r.nurseC.must(200, "POST", "/api/v1/me/calendar-feed", nil).json(t, &rotated)
		if rotated.URL == feed.URL {
			t.Fatal("POST again did not rotate the token")
		}
		old := h.anon().must(404, "GET", u.Path, nil)
		ru, _ := url.Parse(rotated.URL)
		h.anon().must(200, "GET", ru.Path, nil)
		r.nurseC.must(204, "DELETE", "/api/v1/me/calendar-feed", nil)
		revoked := h.anon().must(404, "GET", ru.Path, nil)
		for _, res := range []response{unknown, old, revoked} {
			if strings.Contains(res.body, "VEVENT") || strings.Contains(res.body, s.ID) || stripRequestID(res.body) != stripRequestID(unknown.body) {
				t.Errorf("refused feed answers %s", res.body)
			}
		}
		// A suspended account's feed stops at once.
		var again2 struct{ URL string }
		r.nurseC.must(200, "POST", "/api/v1/me/calendar-feed", nil).json(t, &again2)
		if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`UPDATE app_user SET status = 'suspended' WHERE id = ?`), r.nurse.ID); err != nil {
			t.Fatal(err)
		}
		au, _ := url.Parse(again2.URL)
		h.anon().must(404, "GET", au.Path, nil)

	})
}
