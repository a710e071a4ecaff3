package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

type visitJSON struct {
	ID              string           `json:"id"`
	PatientID       string           `json:"patient_id"`
	OccurrenceStart *time.Time       `json:"occurrence_start"`
	Kind            string           `json:"kind"`
	AssigneeIDs     []string         `json:"assignee_ids"`
	StartsAt        time.Time        `json:"starts_at"`
	EndsAt          time.Time        `json:"ends_at"`
	AllDay          bool             `json:"all_day"`
	Note            string           `json:"note"`
	Status          string           `json:"status"`
	RecordID        string           `json:"record_id"`
	Recurrence      *care.Recurrence `json:"recurrence"`
	Exception       bool             `json:"exception"`
	Version         int64            `json:"version"`
	PatientName     string           `json:"patient_name"`
	Exceptions      []struct {
		OccurrenceStart time.Time `json:"occurrence_start"`
	} `json:"exceptions"`
	History []struct {
		Version   int64     `json:"version"`
		ChangedBy string    `json:"changed_by"`
		Snapshot  visitJSON `json:"snapshot"`
	} `json:"history"`
}

type calendarJSON struct {
	Days []struct {
		Date    string      `json:"date"`
		Visits  []visitJSON `json:"visits"`
		Records []any       `json:"records"`
	} `json:"days"`
}

func (c calendarJSON) day(date string) []visitJSON {
	for _, d := range c.Days {
		if d.Date == date {
			return d.Visits
		}
	}
	return nil
}

func (c calendarJSON) count() int {
	seen := map[string]bool{}
	for _, d := range c.Days {
		for _, v := range d.Visits {
			seen[v.ID+fmt.Sprint(v.OccurrenceStart)] = true
		}
	}
	return len(seen)
}

var jstZone = time.FixedZone("JST", 9*3600)

func jstAt(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, jstZone)
	if err != nil {
		panic(err)
	}
	return t
}

func rfc(s string) string { return jstAt(s).Format(time.RFC3339) }

// mustVisit plans a visit on the region's patient as c and returns it.
func mustVisit(t *testing.T, c *client, r *region, body map[string]any) visitJSON {
	t.Helper()
	var v visitJSON
	c.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", body).json(t, &v)
	return v
}

// nurseSeries is the nurse's Mon/Thu 10:00–10:45 visit through November
// and December.
func nurseSeries(r *region) map[string]any {
	return map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID}, "starts_at": rfc("2026-11-02 10:00"),
		"ends_at": rfc("2026-11-02 10:45"), "note": "定期訪問",
		"recurrence": map[string]any{"freq": "weekly", "interval": 1, "by_day": []string{"MO", "TH"}, "until": "2026-12-31"}}
}

func TestVisitCreateAndValidate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		base := func(mod func(m map[string]any)) map[string]any {
			m := map[string]any{"kind": "doctor_visit", "assignee_ids": []string{r.doctor.ID}, "starts_at": rfc("2026-11-24 14:00"), "ends_at": rfc("2026-11-24 14:30")}
			mod(m)
			return m
		}
		// A non-clinical member (the helper) may plan visits too.
		v := mustVisit(t, r.helperC, r, base(func(m map[string]any) { m["note"] = "往診" }))
		if v.Status != "planned" || v.Version != 1 || !v.StartsAt.Equal(jstAt("2026-11-24 14:00")) || v.AssigneeIDs[0] != r.doctor.ID {
			t.Fatalf("created %+v", v)
		}
		if _, off := v.StartsAt.Zone(); off != 9*3600 {
			t.Errorf("starts_at answered with offset %d, want Asia/Tokyo", off)
		}
		// Stored in UTC.
		var stored time.Time
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &stored, `SELECT starts_at FROM visit WHERE id = ?`, v.ID)
		})
		if !stored.Equal(jstAt("2026-11-24 14:00")) {
			t.Errorf("stored starts_at %v", stored)
		}
		allDay := mustVisit(t, r.doctorC, r, base(func(m map[string]any) {
			m["kind"], m["all_day"], m["starts_at"], m["ends_at"] = "care_conference", true, rfc("2026-11-25 00:00"), rfc("2026-11-27 00:00")
		}))
		if !allDay.AllDay {
			t.Fatal("all_day lost")
		}
		for name, mod := range map[string]func(m map[string]any){
			"ends before starts":      func(m map[string]any) { m["ends_at"] = rfc("2026-11-24 13:00") },
			"assignee off the team":   func(m map[string]any) { m["assignee_ids"] = []string{r.outsider.ID} },
			"all-day not at midnight": func(m map[string]any) { m["all_day"] = true },
			"unknown kind":            func(m map[string]any) { m["kind"] = "house_party" },
			"unknown status":          func(m map[string]any) { m["status"] = "maybe" },
			"note too long":           func(m map[string]any) { m["note"] = strings.Repeat("あ", 2001) },
			"until and count": func(m map[string]any) {
				m["recurrence"] = map[string]any{"freq": "weekly", "interval": 1, "by_day": []string{"MO"}, "until": "2027-01-01", "count": 3}
			},
			"count over 200": func(m map[string]any) {
				m["recurrence"] = map[string]any{"freq": "weekly", "interval": 1, "by_day": []string{"MO"}, "count": 201}
			},
			"interval 9": func(m map[string]any) {
				m["recurrence"] = map[string]any{"freq": "weekly", "interval": 9, "by_day": []string{"MO"}, "count": 2}
			},
			"until before first visit": func(m map[string]any) {
				m["recurrence"] = map[string]any{"freq": "weekly", "interval": 1, "by_day": []string{"MO"}, "until": "2026-11-01"}
			},
		} {
			t.Run(name, func(t *testing.T) {
				res := r.doctorC.do("POST", "/api/v1/patients/"+r.patientID+"/visits", base(mod))
				if res.status != 422 || res.code() != care.CodeValidation {
					t.Fatalf("want 422 validation_failed, got %d %s", res.status, res.body)
				}
			})
		}
		// A note of exactly 2000 characters fits.
		mustVisit(t, r.doctorC, r, base(func(m map[string]any) { m["note"] = strings.Repeat("あ", 2000) }))
		// Creating is audited.
		var n int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM audit_event WHERE action = 'visit.create' AND patient_id = ? AND result = 'ok'`, r.patientID)
		})
		if n != 3 {
			t.Errorf("%d visit.create events, want 3", n)
		}
	})
}

func TestVisitSeriesOccurrenceAndConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		s := mustVisit(t, r.doctorC, r, nurseSeries(r))
		month := func(c *client) calendarJSON {
			t.Helper()
			var cal calendarJSON
			c.must(200, "GET", "/api/v1/patients/"+r.patientID+"/visits?from=2026-11-01&to=2026-11-30", nil).json(t, &cal)
			return cal
		}
		cal := month(r.helperC)
		if len(cal.Days) != 30 || cal.Days[0].Date != "2026-11-01" || cal.Days[29].Date != "2026-11-30" {
			t.Fatalf("days %d", len(cal.Days))
		}
		if cal.count() != 9 {
			t.Fatalf("%d occurrences in November, want 9 (Mon/Thu from 2 Nov)", cal.count())
		}
		for _, d := range cal.Days {
			if d.Records == nil {
				t.Fatalf("day %s has no records list", d.Date)
			}
			for _, v := range d.Visits {
				if lt := v.StartsAt.In(jstZone); lt.Format("15:04") != "10:00" || lt.Format("2006-01-02") != d.Date {
					t.Errorf("occurrence on %s at %s, want 10:00 JST that day", d.Date, v.StartsAt)
				}
				if v.ID != s.ID || v.OccurrenceStart == nil || !v.OccurrenceStart.Equal(v.StartsAt) {
					t.Errorf("occurrence %+v not named by series id and occurrence_start", v)
				}
			}
		}
		if got := cal.day("2026-11-12"); len(got) != 1 {
			t.Fatalf("12 Nov: %v", got)
		}

		// One occurrence: the nurse (assignee) moves 19 Nov to Friday 20th 14:00.
		var after visitJSON
		r.nurseC.must(200, "PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 1, "occurrence_start": rfc("2026-11-19 10:00"),
			"starts_at": rfc("2026-11-20 14:00"), "note": "金曜に変更"}).json(t, &after)
		if after.Version != 2 || len(after.Exceptions) != 1 {
			t.Fatalf("after occurrence edit: %+v", after)
		}
		// …and marks 5 Nov done.
		r.nurseC.must(200, "PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 2, "occurrence_start": rfc("2026-11-05 10:00"), "status": "done"})
		// The whole series: the care team changes the note (version 3 → 4).
		r.doctorC.must(200, "PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 3, "note": "バイタル確認"}).json(t, &after)
		if after.Version != 4 || after.Note != "バイタル確認" {
			t.Fatalf("after series edit: %+v", after)
		}
		cal = month(r.doctorC)
		if cal.count() != 9 {
			t.Fatalf("%d occurrences after edits, want 9", cal.count())
		}
		if got := cal.day("2026-11-19"); len(got) != 0 {
			t.Errorf("19 Nov still lists the moved occurrence: %+v", got)
		}
		moved := cal.day("2026-11-20")
		if len(moved) != 1 || !moved[0].StartsAt.Equal(jstAt("2026-11-20 14:00")) || !moved[0].EndsAt.Equal(jstAt("2026-11-20 14:45")) ||
			moved[0].Note != "金曜に変更" || !moved[0].Exception || !moved[0].OccurrenceStart.Equal(jstAt("2026-11-19 10:00")) {
			t.Errorf("moved occurrence: %+v", moved)
		}
		if got := cal.day("2026-11-05"); len(got) != 1 || got[0].Status != "done" || got[0].Note != "バイタル確認" {
			t.Errorf("5 Nov: %+v", got)
		}
		if got := cal.day("2026-11-09"); len(got) != 1 || got[0].Status != "planned" || got[0].Note != "バイタル確認" || got[0].Exception {
			t.Errorf("9 Nov: %+v", got)
		}
		// Not an occurrence of the series.
		if res := r.nurseC.do("PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 4, "occurrence_start": rfc("2026-11-10 10:00"), "status": "done"}); res.status != 422 {
			t.Errorf("PATCH of a non-occurrence: %d %s", res.status, res.body)
		}

		// A stale base_version: 409 conflict with the current visit.
		res := r.nurseC.do("PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 2, "note": "古い版から"})
		if res.status != 409 || res.code() != care.CodeConflict {
			t.Fatalf("stale change: %d %s", res.status, res.body)
		}
		var problem struct {
			Current visitJSON `json:"current"`
		}
		res.json(t, &problem)
		if problem.Current.ID != s.ID || problem.Current.Version != 4 || problem.Current.Note != "バイタル確認" || len(problem.Current.Exceptions) != 2 {
			t.Errorf("409 current: %+v", problem.Current)
		}

		// History: every version, each snapshot as it was.
		var full visitJSON
		r.helperC.must(200, "GET", "/api/v1/visits/"+s.ID, nil).json(t, &full)
		if full.Version != 4 || len(full.History) != 4 {
			t.Fatalf("history: version %d, %d entries", full.Version, len(full.History))
		}
		for i, hs := range full.History {
			if hs.Version != int64(i+1) || hs.Snapshot.Version != hs.Version {
				t.Errorf("history %d: %+v", i, hs)
			}
		}
		if full.History[0].Snapshot.Note != "定期訪問" || full.History[1].ChangedBy != r.nurse.ID || full.History[3].Snapshot.Note != "バイタル確認" {
			t.Errorf("history content: %+v", full.History)
		}
		if full.Recurrence == nil || full.Recurrence.Until != "2026-12-31" {
			t.Errorf("recurrence: %+v", full.Recurrence)
		}
		// Reads and writes are audited.
		for _, action := range []string{"visit.list", "visit.update", "visit.read"} {
			var n int
			h.db.Read(context.Background(), func(tx *store.Tx) error {
				return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM audit_event WHERE action = ? AND patient_id = ?`, action, r.patientID)
			})
			if n == 0 {
				t.Errorf("no %s audit event", action)
			}
		}
	})
}

func TestMyVisitsAndTeamOverview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		s := mustVisit(t, r.doctorC, r, nurseSeries(r))
		d := mustVisit(t, r.doctorC, r, map[string]any{"kind": "doctor_visit", "assignee_ids": []string{r.doctor.ID},
			"starts_at": rfc("2026-11-24 14:00"), "ends_at": rfc("2026-11-24 14:30")})
		week := "from=2026-11-23&to=2026-11-29"
		mine := func(c *client, q string) []visitJSON {
			t.Helper()
			var out struct{ Visits []visitJSON }
			c.must(200, "GET", "/api/v1/me/visits?"+q, nil).json(t, &out)
			return out.Visits
		}
		got := mine(r.nurseC, week)
		if len(got) != 2 || got[0].ID != s.ID || !got[0].StartsAt.Equal(jstAt("2026-11-23 10:00")) || !got[1].StartsAt.Equal(jstAt("2026-11-26 10:00")) {
			t.Fatalf("nurse's week: %+v", got)
		}
		if got[0].PatientName == "" || got[0].PatientID != r.patientID {
			t.Errorf("my visit lacks its patient: %+v", got[0])
		}
		if got := mine(r.doctorC, week); len(got) != 1 || got[0].ID != d.ID {
			t.Fatalf("doctor's week: %+v", got)
		}
		if got := mine(r.helperC, week); len(got) != 0 {
			t.Fatalf("helper is assigned nothing but sees %+v", got)
		}
		// The coordinating view: every visit of the patients on my team.
		team := mine(r.helperC, week+"&scope=team")
		if len(team) != 3 || team[1].ID != d.ID {
			t.Fatalf("team overview: %+v", team)
		}
		outsider := h.signIn(r.outsider)
		if got := mine(outsider, week+"&scope=team"); len(got) != 0 {
			t.Fatalf("outsider's overview: %+v", got)
		}
		// Bad ranges.
		for _, q := range []string{"from=2026-11-29&to=2026-11-23", "from=2026-11-01&to=2027-01-02", "from=x&to=2026-11-23"} {
			if res := r.nurseC.do("GET", "/api/v1/me/visits?"+q, nil); res.status != 422 {
				t.Errorf("%s: %d %s", q, res.status, res.body)
			}
		}
		// The nurse leaves the team: her visits vanish, the visit is a 404.
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.nurse.ID, nil)
		if got := mine(r.nurseC, week); len(got) != 0 {
			t.Fatalf("removed member still sees %+v", got)
		}
		if got := mine(r.nurseC, week+"&scope=team"); len(got) != 0 {
			t.Fatalf("removed member's overview: %+v", got)
		}
		r.nurseC.must(404, "GET", "/api/v1/visits/"+s.ID, nil)
		// …and can no longer be assigned.
		res := r.doctorC.do("PATCH", "/api/v1/visits/"+d.ID, map[string]any{"base_version": 1, "assignee_ids": []string{r.doctor.ID, r.nurse.ID}})
		if res.status != 422 {
			t.Errorf("assigning a former member: %d %s", res.status, res.body)
		}
		// Withdrawn consent hides the calendar from everyone on the team.
		r.doctorC.must(200, "POST", "/api/v1/patients/"+r.patientID+"/consents/"+r.consentID+"/withdraw", map[string]any{"reason": "テスト"})
		if got := mine(r.doctorC, week); len(got) != 0 {
			t.Fatalf("visits listed after consent withdrawal: %+v", got)
		}
	})
}

func TestVisitsOffTeamAre404(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		s := mustVisit(t, r.doctorC, r, nurseSeries(r))
		outsider := h.signIn(r.outsider)
		unknown := outsider.must(404, "GET", "/api/v1/visits/01900000-0000-7000-8000-000000000001", nil)
		unknownPatch := outsider.must(404, "PATCH", "/api/v1/visits/01900000-0000-7000-8000-000000000001", map[string]any{"base_version": 1, "note": "x"})
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/visits/" + s.ID, nil},
			{"PATCH", "/api/v1/visits/" + s.ID, map[string]any{"base_version": 1, "note": "乗っ取り"}},
			{"GET", "/api/v1/patients/" + r.patientID + "/visits?from=2026-11-01&to=2026-11-30", nil},
			{"POST", "/api/v1/patients/" + r.patientID + "/visits", map[string]any{"kind": "other", "assignee_ids": []string{}, "starts_at": rfc("2026-11-24 14:00"), "ends_at": rfc("2026-11-24 15:00")}},
		} {
			res := outsider.must(404, c.method, c.path, c.body)
			if stripRequestID(res.body) != stripRequestID(unknown.body) || stripRequestID(unknownPatch.body) != stripRequestID(unknown.body) {
				t.Errorf("%s %s: 404 differs from an unknown visit's: %s vs %s", c.method, c.path, res.body, unknown.body)
			}
			if strings.Contains(res.body, s.ID) || strings.Contains(res.body, "定期訪問") {
				t.Errorf("%s %s leaks the visit: %s", c.method, c.path, res.body)
			}
		}
		// The visit is unchanged and the attempts are audited as refused.
		var v visitJSON
		r.nurseC.must(200, "GET", "/api/v1/visits/"+s.ID, nil).json(t, &v)
		if v.Version != 1 || v.Note != "定期訪問" {
			t.Fatalf("outsider changed the visit: %+v", v)
		}
		var denied int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &denied, `SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND result = 'denied' AND action LIKE 'visit.%'`, r.outsider.ID)
		})
		if denied != 6 {
			t.Errorf("%d refused visit operations audited, want 6", denied)
		}
	})
}

// A substitute for one occurrence of a series: any member of the care team
// may set it, the substitute must be on the team, and nothing else of the
// series moves — its other occurrences, its assignees, its times.
func TestVisitSubstituteForOneOccurrence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		s := mustVisit(t, r.doctorC, r, nurseSeries(r))
		occ := rfc("2026-11-23 10:00")
		// Not on the team: refused, naming the field, never the id.
		res := r.doctorC.do("PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 1, "occurrence_start": occ, "assignee_ids": []string{r.outsider.ID}})
		if res.status != 422 || !strings.Contains(res.body, "assignee_ids") || strings.Contains(res.body, r.outsider.ID) {
			t.Fatalf("outsider as substitute: %d %s", res.status, res.body)
		}
		// No one at all: refused.
		if res := r.doctorC.do("PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 1, "occurrence_start": occ, "assignee_ids": []string{}}); res.status != 422 {
			t.Fatalf("empty substitute: %d %s", res.status, res.body)
		}
		// One who is not on the team may not set it either (the visit is not theirs to see).
		outsider := h.signIn(r.outsider)
		if res := outsider.do("PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 1, "occurrence_start": occ, "assignee_ids": []string{r.outsider.ID}}); res.status != 404 {
			t.Fatalf("outsider sets a substitute: %d %s", res.status, res.body)
		}
		// The kind still belongs to the series alone.
		if res := r.doctorC.do("PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 1, "occurrence_start": occ, "kind": "care_service"}); res.status != 422 {
			t.Fatalf("occurrence kind: %d %s", res.status, res.body)
		}
		// The care worker (a team member, not an assignee) takes 23 Nov for the nurse.
		var after visitJSON
		r.helperC.must(200, "PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 1, "occurrence_start": occ, "assignee_ids": []string{r.helper.ID}}).json(t, &after)
		if after.Version != 2 || len(after.AssigneeIDs) != 1 || after.AssigneeIDs[0] != r.nurse.ID || len(after.Exceptions) != 1 {
			t.Fatalf("series after the substitute: %+v", after)
		}
		var cal calendarJSON
		r.doctorC.must(200, "GET", "/api/v1/patients/"+r.patientID+"/visits?from=2026-11-01&to=2026-11-30", nil).json(t, &cal)
		if cal.count() != 9 {
			t.Fatalf("%d occurrences, want 9", cal.count())
		}
		for _, d := range cal.Days {
			for _, v := range d.Visits {
				want := r.nurse.ID
				if d.Date == "2026-11-23" {
					want = r.helper.ID
				}
				if len(v.AssigneeIDs) != 1 || v.AssigneeIDs[0] != want || v.StartsAt.In(jstZone).Format("15:04") != "10:00" ||
					!v.EndsAt.Equal(v.StartsAt.Add(45*time.Minute)) || v.Status != "planned" || v.Note != "定期訪問" {
					t.Errorf("%s: %+v", d.Date, v)
				}
			}
		}
		// Each one's own list: the nurse no longer has 23 Nov, the care worker has only it.
		week := "/api/v1/me/visits?from=2026-11-23&to=2026-11-29"
		var mine struct{ Visits []visitJSON }
		r.nurseC.must(200, "GET", week, nil).json(t, &mine)
		if len(mine.Visits) != 1 || !mine.Visits[0].StartsAt.Equal(jstAt("2026-11-26 10:00")) {
			t.Fatalf("nurse's week with a substitute: %+v", mine.Visits)
		}
		r.helperC.must(200, "GET", week, nil).json(t, &mine)
		if len(mine.Visits) != 1 || !mine.Visits[0].StartsAt.Equal(jstAt("2026-11-23 10:00")) || mine.Visits[0].AssigneeIDs[0] != r.helper.ID {
			t.Fatalf("care worker's week as substitute: %+v", mine.Visits)
		}
		// The substitute marks it done; the series' assignees again withdraw the substitute.
		r.helperC.must(200, "PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 2, "occurrence_start": occ, "status": "done"})
		r.doctorC.must(200, "PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 3, "occurrence_start": occ, "assignee_ids": []string{r.nurse.ID}})
		r.nurseC.must(200, "GET", week, nil).json(t, &mine)
		if len(mine.Visits) != 2 || mine.Visits[0].Status != "done" {
			t.Fatalf("nurse's week after the substitute is withdrawn: %+v", mine.Visits)
		}
		// The substitute is in the history, and audited as a change.
		var full struct {
			History []struct {
				Snapshot struct {
					Exceptions []struct {
						AssigneeIDs []string `json:"assignee_ids"`
					} `json:"exceptions"`
				} `json:"snapshot"`
			} `json:"history"`
		}
		r.doctorC.must(200, "GET", "/api/v1/visits/"+s.ID, nil).json(t, &full)
		if len(full.History) != 4 || len(full.History[1].Snapshot.Exceptions) != 1 || fmt.Sprint(full.History[1].Snapshot.Exceptions[0].AssigneeIDs) != fmt.Sprint([]string{r.helper.ID}) ||
			full.History[3].Snapshot.Exceptions[0].AssigneeIDs != nil {
			t.Errorf("history of the substitute: %+v", full.History)
		}
	})
}
