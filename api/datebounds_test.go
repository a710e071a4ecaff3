package api_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/care"
	"tsunagu/internal/store/storetest"
)

type problemOut struct {
	Code   string `json:"code"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

// names reports whether p is a 422 whose details name location, with a
// message that contains limit.
func (p problemOut) names(location, limit string) bool {
	if p.Code != care.CodeValidation {
		return false
	}
	for _, e := range p.Errors {
		if e.Location == location && strings.Contains(e.Message, limit) {
			return true
		}
	}
	return false
}

// TestEveryDateIsBounded walks every operation of the OpenAPI document and
// every date or date-time it takes (top-level body fields and query
// parameters): each, set to year 9999 or 1899, is refused with a 422 that
// names the field and the limit. A new operation with a date is covered by
// this sweep without a line of its own.
func TestEveryDateIsBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		var v struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
			"starts_at": "2026-11-23T10:00:00+09:00", "ends_at": "2026-11-23T10:45:00+09:00"}).json(t, &v)
		r.visitID = v.ID
		oa := h.hapi.OpenAPI()
		resolve := func(s *huma.Schema) *huma.Schema {
			if s != nil && s.Ref != "" {
				return oa.Components.Schemas.SchemaFromRef(s.Ref)
			}
			return s
		}
		far := map[string][]string{"date": {"9999-12-31", "1899-12-31"}, "date-time": {"9999-12-31T10:00:00+09:00", "1899-12-31T10:00:00+09:00"}}
		checked := 0
		for path, item := range oa.Paths {
			for method, o := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
				if o == nil {
					continue
				}
				c := accessCases[o.OperationID]
				base := fill(path, r)
				query := url.Values{}
				if c.query != nil {
					query, _ = url.ParseQuery(strings.TrimPrefix(c.query(r), "?"))
				}
				send := func(field string, body map[string]any, q url.Values) problemOut {
					t.Helper()
					u := base
					if len(q) > 0 {
						u += "?" + q.Encode()
					}
					var b any
					if body != nil {
						b = body
					}
					res := r.doctorC.do(method, u, b)
					var p problemOut
					if res.status == 422 {
						res.json(t, &p)
					}
					return p
				}
				for _, p := range o.Parameters {
					if p.In != "query" || p.Schema == nil || far[p.Schema.Format] == nil {
						continue
					}
					for _, v := range far[p.Schema.Format] {
						q := url.Values{}
						for k, vs := range query {
							q[k] = vs
						}
						q.Set(p.Name, v)
						checked++
						if pr := send(p.Name, nil, q); !pr.names("query."+p.Name, "1900 to 2100") {
							t.Errorf("%s query %s=%s: %+v, want a 422 naming query.%s and the years", o.OperationID, p.Name, v, pr, p.Name)
						}
					}
				}
				if o.RequestBody == nil || o.RequestBody.Content["application/json"] == nil {
					continue
				}
				schema := resolve(o.RequestBody.Content["application/json"].Schema)
				for name, prop := range schema.Properties {
					prop = resolve(prop)
					if prop == nil || far[prop.Format] == nil {
						continue
					}
					for _, v := range far[prop.Format] {
						body := map[string]any{}
						if c.body != nil {
							if m, ok := c.body(r).(map[string]any); ok {
								for k, x := range m {
									body[k] = x
								}
							}
						}
						body[name] = v
						checked++
						if pr := send(name, body, query); !pr.names("body."+name, "1900 to 2100") {
							t.Errorf("%s body %s=%s: %+v, want a 422 naming body.%s and the years", o.OperationID, name, v, pr, name)
						}
					}
				}
			}
		}
		if checked < 10 {
			t.Fatalf("only %d dates checked: the sweep found too few date fields", checked)
		}
	})
}

// TestVisitSeriesBounds: over REST and through sync (visit.create,
// visit.update) a series that runs past two years, or a date past 2100, is
// refused with a 422 naming the field and the limit.
func TestVisitSeriesBounds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		visit := func(rec map[string]any) map[string]any {
			return map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
				"starts_at": "2026-12-07T10:00:00+09:00", "ends_at": "2026-12-07T11:00:00+09:00", "recurrence": rec}
		}
		weekly := func(extra map[string]any) map[string]any {
			m := map[string]any{"freq": "weekly", "interval": 1, "by_day": []string{"MO"}}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		cases := []struct {
			name, location, limit string
			rec                   map[string]any
		}{
			{"until 9999", "body.recurrence.until", "1900 to 2100", weekly(map[string]any{"until": "9999-12-31"})},
			{"until past two years", "body.recurrence.until", "2 years", weekly(map[string]any{"until": "2029-01-01"})},
			{"count past two years", "body.recurrence.count", "2 years", map[string]any{"freq": "weekly", "interval": 8, "by_day": []string{"MO"}, "count": 200}},
		}
		var v struct {
			ID      string
			Version int
		}
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", visit(weekly(map[string]any{"until": "2028-12-07"}))).json(t, &v)
		device := newID()
		seq := int64(0)
		for _, c := range cases {
			var p problemOut
			// REST create and update.
			if res := r.doctorC.do("POST", "/api/v1/patients/"+r.patientID+"/visits", visit(c.rec)); res.status != 422 {
				t.Errorf("create, %s: %d %s", c.name, res.status, res.body)
			} else if res.json(t, &p); !p.names(c.location, c.limit) {
				t.Errorf("create, %s: %+v, want %s and %q", c.name, p, c.location, c.limit)
			}
			if res := r.doctorC.do("PATCH", "/api/v1/visits/"+v.ID, map[string]any{"base_version": v.Version, "recurrence": c.rec}); res.status != 422 {
				t.Errorf("update, %s: %d %s", c.name, res.status, res.body)
			} else if res.json(t, &p); !p.names(c.location, c.limit) {
				t.Errorf("update, %s: %+v, want %s and %q", c.name, p, c.location, c.limit)
			}
			// The same through sync.
			create := visit(c.rec)
			create["patient_id"], create["id"] = r.patientID, newID()
			update := map[string]any{"visit_id": v.ID, "recurrence": c.rec}
			base := int64(v.Version)
			ms := []mutation{{ID: newID(), Seq: seq + 1, Type: "visit.create", Args: create}, {ID: newID(), Seq: seq + 2, Type: "visit.update", Args: update, BaseVersion: &base}}
			seq += 2
			var a struct {
				Results []struct {
					Status  string      `json:"status"`
					Problem *problemOut `json:"problem"`
				} `json:"results"`
			}
			r.doctorC.must(200, "POST", "/api/v1/sync/push", map[string]any{"device_id": device, "mutations": ms}).json(t, &a)
			for i, res := range a.Results {
				if res.Status != "rejected" || res.Problem == nil || !res.Problem.names(c.location, c.limit) {
					t.Errorf("sync %s, %s: %+v %+v, want rejected naming %s", ms[i].Type, c.name, res.Status, res.Problem, c.location)
				}
			}
		}
		// A date-time past 2100 in a sync mutation.
		create := visit(nil)
		delete(create, "recurrence")
		create["patient_id"], create["id"], create["starts_at"] = r.patientID, newID(), "2101-01-01T10:00:00+09:00"
		var a struct {
			Results []struct {
				Status  string      `json:"status"`
				Problem *problemOut `json:"problem"`
			} `json:"results"`
		}
		r.doctorC.must(200, "POST", "/api/v1/sync/push", map[string]any{"device_id": device, "mutations": []mutation{{ID: newID(), Seq: seq + 1, Type: "visit.create", Args: create}}}).json(t, &a)
		if a.Results[0].Status != "rejected" || !a.Results[0].Problem.names("body.starts_at", "1900 to 2100") {
			t.Errorf("sync visit in 2101: %+v %+v", a.Results[0].Status, a.Results[0].Problem)
		}
	})
}

// TestStoredFarFutureSeriesReadsOnlyTheRange: a series stored before the
// bound, with until 9999-12-31, is read range by range — the patient's
// calendar, my visits and the iCalendar feed answer exactly the
// occurrences in their range, also in 2099 — and it can still be edited
// as a whole while its rule stays; a new far until is refused.
func TestStoredFarFutureSeriesReadsOnlyTheRange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		var v struct {
			ID      string
			Version int
		}
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
			"starts_at": "2026-11-02T10:00:00+09:00", "ends_at": "2026-11-02T11:00:00+09:00",
			"recurrence": map[string]any{"freq": "weekly", "interval": 1, "by_day": []string{"MO"}, "until": "2027-01-31"}}).json(t, &v)
		if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`UPDATE visit SET recurrence = ?, series_end = ? WHERE id = ?`),
			`{"freq":"weekly","interval":1,"by_day":["MO"],"until":"9999-12-31"}`, time.Date(9999, 12, 27, 2, 0, 0, 0, time.UTC), v.ID); err != nil {
			t.Fatal(err)
		}
		// Mondays 10:00 JST of the series that start in [from, to).
		mondays := func(from, to time.Time) int {
			n := 0
			for d := time.Date(2026, 11, 2, 10, 0, 0, 0, tokyoLoc); d.Before(to); d = d.AddDate(0, 0, 7) {
				if d.Add(time.Hour).After(from) {
					n++
				}
			}
			return n
		}
		for _, w := range [][2]string{{"2027-03-01", "2027-03-31"}, {"2099-10-01", "2099-11-30"}} {
			from, _ := time.ParseInLocation(time.DateOnly, w[0], tokyoLoc)
			to, _ := time.ParseInLocation(time.DateOnly, w[1], tokyoLoc)
			want := mondays(from, to.AddDate(0, 0, 1))
			var cal struct {
				Days []struct {
					Visits []struct{ ID string } `json:"visits"`
				} `json:"days"`
			}
			r.doctorC.must(200, "GET", "/api/v1/patients/"+r.patientID+"/visits?from="+w[0]+"&to="+w[1], nil).json(t, &cal)
			got := 0
			for _, d := range cal.Days {
				got += len(d.Visits)
			}
			var mine struct {
				Visits []struct{ ID string } `json:"visits"`
			}
			r.nurseC.must(200, "GET", "/api/v1/me/visits?from="+w[0]+"&to="+w[1], nil).json(t, &mine)
			if got != want || len(mine.Visits) != want || want == 0 {
				t.Errorf("%s..%s: calendar %d, my visits %d, want %d", w[0], w[1], got, len(mine.Visits), want)
			}
		}
		var feed struct{ URL string }
		r.nurseC.must(200, "POST", "/api/v1/me/calendar-feed", nil).json(t, &feed)
		feedURL, err := url.Parse(feed.URL) // on the configured public origin
		if err != nil {
			t.Fatal(err)
		}
		ics := h.anon().must(200, "GET", feedURL.Path, nil).body
		now := h.clock.Now()
		if got, want := strings.Count(ics, "BEGIN:VEVENT"), mondays(now.Add(-30*24*time.Hour), now.Add(90*24*time.Hour)); got != want {
			t.Errorf("feed: %d events, want %d", got, want)
		}
		// Still editable as a whole while its rule stays; a new far until is not.
		r.doctorC.must(200, "PATCH", "/api/v1/visits/"+v.ID, map[string]any{"base_version": v.Version, "note": "継続"}).json(t, &v)
		res := r.doctorC.must(422, "PATCH", "/api/v1/visits/"+v.ID, map[string]any{"base_version": v.Version,
			"recurrence": map[string]any{"freq": "weekly", "interval": 1, "by_day": []string{"MO"}, "until": "2099-12-31"}})
		var p problemOut
		if res.json(t, &p); !p.names("body.recurrence.until", "2 years") {
			t.Errorf("far until on the stored series: %+v", p)
		}
	})
}

var tokyoLoc = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		panic(err)
	}
	return loc
}()
