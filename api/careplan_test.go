package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"tsunagu/internal/careplan"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// The fictional numbers of the care-plan tests: the care manager's office
// (居宅介護支援事業所) sends, the region's nursing station receives.
const (
	cmOffice      = "1370000001"
	stationOffice = "1360000002"
	testInsurer   = "139998" // check digit 8
	testInsured   = "0000012345"
)

// planRow is the rows of a 第6表 file built from the standard's column
// definitions (careplan.Columns, No. 1–25): one service code at one time,
// one row per day of use.
type planRow struct {
	insurer, insured, month, provider, code, start, end string
	days                                                []int
	columns                                             int // 0 = every column
}

func nurseRow(month string, days ...int) planRow {
	return planRow{insurer: testInsurer, insured: testInsured, month: month, provider: stationOffice, code: "131211", start: "1000", end: "1030", days: days}
}

func (r planRow) fields(day int) []string {
	f := make([]string, len(careplan.Columns))
	set := func(c int, v string) { f[c-1] = v }
	set(careplan.ColVersion, careplan.CSVVersion)
	set(careplan.ColInsurer, r.insurer)
	set(careplan.ColInsured, r.insured)
	set(careplan.ColCreated, "20261101")
	set(careplan.ColMonth, r.month)
	set(careplan.ColPlanner, cmOffice)
	set(careplan.ColUnits, "823")
	set(careplan.ColDate, r.month+fmt.Sprintf("%02d", day))
	set(careplan.ColStart, r.start)
	set(careplan.ColEnd, r.end)
	set(careplan.ColCount, "1")
	set(careplan.ColCode, r.code)
	set(careplan.ColProvider, r.provider)
	set(careplan.ColProviderName, `"ひまわり訪問看護"`)
	set(careplan.ColOver30, "0")
	set(careplan.ColUpdater, cmOffice)
	if r.columns > 0 {
		f = f[:r.columns]
	}
	return f
}

// planFile is rows as a 第6表 file in MS932 with CRLF line ends.
func planFile(t testing.TB, rows ...planRow) []byte {
	var b strings.Builder
	for _, r := range rows {
		for _, d := range r.days {
			b.WriteString(strings.Join(r.fields(d), ",") + "\r\n")
		}
	}
	out, err := japanese.ShiftJIS.NewEncoder().String(b.String())
	if err != nil {
		panic(err) // the test's own rows are MS932 text
	}
	return []byte(out)
}

func planName(month string) string {
	return "UPPLAN_" + month + "_" + cmOffice + "_43_" + stationOffice + "_13_20261101090000.CSV"
}

type planAnswer struct {
	Imported bool
	Month    string
	Slots    []struct {
		Row       int
		PatientID string `json:"patient_id"`
		Kind      string
		StartsAt  string `json:"starts_at"`
		Action    string
		VisitID   string   `json:"visit_id"`
		Assignees []string `json:"assignee_ids"`
	}
	Cancels []struct {
		VisitID string `json:"visit_id"`
	}
	Unmatched []struct {
		Row    int
		Reason string
	}
	Created, Kept, Replanned, Cancelled int
}

func (c *client) plan(t *testing.T, op, name string, file []byte) (response, planAnswer) {
	t.Helper()
	path := "/api/v1/careplan/plans"
	if op == "preview" {
		path += "/preview"
	}
	res := c.raw("POST", path+"?filename="+url.QueryEscape(name), "text/csv", file)
	var a planAnswer
	if res.status == 200 {
		res.json(t, &a)
	}
	return res, a
}

// careplanRegion is the region with the 介護保険 numbers set: the station's
// office number by the network office, the patient's by the doctor.
func careplanRegion(t *testing.T, h *harness) *region {
	r := h.mustRegion()
	admin := h.signIn(r.netAdmin)
	admin.must(200, "PATCH", "/api/v1/facilities/"+r.station, map[string]any{"office_number": stationOffice})
	var p struct{ Version int64 }
	r.doctorC.must(200, "GET", "/api/v1/patients/"+r.patientID, nil).json(t, &p)
	r.doctorC.must(200, "PATCH", "/api/v1/patients/"+r.patientID, map[string]any{"version": p.Version, "name": "見本 " + canaryName,
		"name_kana": "ミホン カナリア", "birth_date": "1940-02-03", "sex": "female", "address": "架空県つなぐ市1-1", "phone": "000-0000-0000",
		"insurer_number": testInsurer, "insured_number": testInsured})
	return r
}

func countVisits(t *testing.T, h *harness, patientID string) (n int) {
	t.Helper()
	if err := h.db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM visit WHERE patient_id = ?`, patientID)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCareplanImport: a care manager's 予定 file becomes the nurse's
// visits; the same file again changes nothing; a corrected file cancels the
// imported visits it no longer plans that have not happened, leaves the
// done ones, and adds the new; the 実績 file carries what was done.
func TestCareplanImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := careplanRegion(t, h)
		before := countVisits(t, h, r.patientID)
		// 2026-11: the clock stands at the 21st, so the 10th has passed.
		// Rows 1–3: the nurse's visits; 4: an unknown 被保険者番号; 5: another
		// provider's service (the file holds all of the user's); 6: 福祉用具
		// (times 9999); 7: a 加算 at the time of the 24th's visit (same visit).
		file := planFile(t, nurseRow("202611", 10, 24, 26),
			planRow{insurer: testInsurer, insured: "0000099999", month: "202611", provider: stationOffice, code: "131211", start: "1400", end: "1430", days: []int{25}},
			planRow{insurer: testInsurer, insured: testInsured, month: "202611", provider: "1360000099", code: "111111", start: "0900", end: "1000", days: []int{23}},
			planRow{insurer: testInsurer, insured: testInsured, month: "202611", provider: stationOffice, code: "171001", start: careplan.NoTime, end: careplan.NoTime, days: []int{1}},
			planRow{insurer: testInsurer, insured: testInsured, month: "202611", provider: stationOffice, code: "134001", start: "1000", end: "1030", days: []int{24}})

		res, pre := r.nurseC.plan(t, "preview", planName("202611"), file)
		if res.status != 200 || pre.Imported || pre.Created != 3 || len(pre.Slots) != 3 {
			t.Fatalf("preview: %d %s", res.status, res.body)
		}
		for _, sl := range pre.Slots {
			if sl.Kind != "nurse_visit" || sl.PatientID != r.patientID || sl.Action != "create" || len(sl.Assignees) != 1 || sl.Assignees[0] != r.nurse.ID {
				t.Errorf("slot %+v", sl)
			}
		}
		if pre.Slots[1].StartsAt != "2026-11-24T10:00:00+09:00" {
			t.Errorf("the 24th at 10:00 in Tokyo: %s", pre.Slots[1].StartsAt)
		}
		reasons := map[int]string{}
		for _, u := range pre.Unmatched {
			reasons[u.Row] = u.Reason
		}
		if reasons[4] != "unknown_patient" || reasons[5] != "other_provider" || reasons[6] != "not_a_visit" || reasons[7] != "duplicate_slot" || len(reasons) != 4 {
			t.Errorf("unmatched rows: %v", reasons)
		}
		if n := countVisits(t, h, r.patientID); n != before {
			t.Fatalf("the preview created visits: %d → %d", before, n)
		}

		res, imp := r.nurseC.plan(t, "import", planName("202611"), file)
		if res.status != 200 || !imp.Imported || imp.Created != 3 {
			t.Fatalf("import: %d %s", res.status, res.body)
		}
		if n := countVisits(t, h, r.patientID); n != before+3 {
			t.Fatalf("import made %d visits, want 3", n-before)
		}
		// On the nurse's calendar.
		var mine struct{ Visits []struct{ ID, Kind string } }
		r.nurseC.must(200, "GET", "/api/v1/me/visits?from=2026-11-20&to=2026-11-30", nil).json(t, &mine)
		found := 0
		for _, v := range mine.Visits {
			for _, sl := range imp.Slots {
				if v.ID == sl.VisitID {
					found++
				}
			}
		}
		if found != 2 { // the 24th and the 26th are in the range
			t.Errorf("the nurse's week shows %d imported visits, want 2: %+v", found, mine.Visits)
		}

		// The same file again: nothing changes.
		_, again := r.nurseC.plan(t, "import", planName("202611"), file)
		if again.Created != 0 || again.Kept != 3 || again.Cancelled != 0 || countVisits(t, h, r.patientID) != before+3 {
			t.Errorf("second import: %+v", again)
		}
		for _, sl := range again.Slots {
			var v struct{ Version int64 }
			r.nurseC.must(200, "GET", "/api/v1/visits/"+sl.VisitID, nil).json(t, &v)
			if v.Version != 1 {
				t.Errorf("visit %s changed by the second import: version %d", sl.VisitID, v.Version)
			}
		}

		// The nurse does the 24th; the corrected file plans the 10th and
		// the 28th: the 26th (not yet happened) is cancelled, the 24th
		// (done) stays, the 28th is new.
		day := map[string]string{}
		for _, sl := range imp.Slots {
			day[sl.StartsAt[:10]] = sl.VisitID
		}
		r.nurseC.must(200, "PATCH", "/api/v1/visits/"+day["2026-11-24"], map[string]any{"base_version": 1, "status": "done"})
		corrected := planFile(t, nurseRow("202611", 10, 28))
		_, fix := r.nurseC.plan(t, "import", strings.Replace(planName("202611"), "20261101090000", "20261115090000", 1), corrected)
		if fix.Created != 1 || fix.Kept != 1 || fix.Cancelled != 1 || len(fix.Cancels) != 1 || fix.Cancels[0].VisitID != day["2026-11-26"] {
			t.Fatalf("corrected import: %+v", fix)
		}
		status := func(id string) string {
			var v struct{ Status string }
			r.nurseC.must(200, "GET", "/api/v1/visits/"+id, nil).json(t, &v)
			return v.Status
		}
		if status(day["2026-11-24"]) != "done" || status(day["2026-11-26"]) != "cancelled" || status(day["2026-11-10"]) != "planned" {
			t.Errorf("after the correction: 24th %s, 26th %s, 10th %s", status(day["2026-11-24"]), status(day["2026-11-26"]), status(day["2026-11-10"]))
		}
		// The first file again plans the 26th again.
		_, back := r.nurseC.plan(t, "import", planName("202611"), file)
		if back.Replanned != 1 || status(day["2026-11-26"]) != "planned" {
			t.Errorf("the first file again: %+v", back)
		}

		// The 実績 file: the 24th, done, under the row's service code.
		var offices struct {
			Offices []struct {
				OfficeNumber string `json:"office_number"`
				ServiceType  string `json:"service_type"`
				Done         int
			}
		}
		r.nurseC.must(200, "GET", "/api/v1/careplan/offices?month=2026-11", nil).json(t, &offices)
		if len(offices.Offices) != 1 || offices.Offices[0].OfficeNumber != cmOffice || offices.Offices[0].ServiceType != "13" || offices.Offices[0].Done != 1 {
			t.Errorf("offices: %+v", offices)
		}
		out := r.nurseC.must(200, "GET", "/api/v1/careplan/actuals?month=2026-11&service_type=13&to="+cmOffice, nil)
		disp := out.header.Get("Content-Disposition")
		name := disp[strings.Index(disp, "UPJSK_") : len(disp)-1]
		n, rows, err := careplan.Read(name, []byte(out.body))
		if err != nil {
			t.Fatalf("the 実績 file does not read back: %v\n%s", err, disp)
		}
		if n.From != stationOffice || n.FromKind != "13" || n.To != cmOffice || n.ToKind != "43" || len(rows) != 1 || rows[0].Date != "20261124" ||
			rows[0].Start != "1000" || rows[0].End != "1030" || rows[0].Count != 1 || rows[0].Code != "131211" || rows[0].InsuredNumber != testInsured ||
			rows[0].InsurerNumber != testInsurer || rows[0].PlannerOffice != cmOffice || rows[0].ProviderOffice != stationOffice ||
			rows[0].Updater != stationOffice || rows[0].Over30 != "0" {
			t.Errorf("実績: %+v %+v", n, rows)
		}
		// Another service type of the station's has no 実績 this month.
		other13 := r.nurseC.must(200, "GET", "/api/v1/careplan/actuals?month=2026-11&service_type=63&to="+cmOffice, nil)
		if other13.body != "" {
			t.Errorf("実績 of 63: %q", other13.body)
		}
		if strings.Contains(out.body, canaryName) {
			t.Error("the 実績 file carries the patient's name")
		}

		// Another nurse of the station, not on the patient's team: the row
		// is an unknown patient to her, and her corrected file cancels
		// nothing of the patient.
		other := h.signIn(h.mustUser(r.station, "nurse"))
		_, theirs := other.plan(t, "import", planName("202611"), planFile(t, nurseRow("202611", 29)))
		if theirs.Created != 0 || theirs.Cancelled != 0 || len(theirs.Unmatched) != 1 || theirs.Unmatched[0].Reason != "unknown_patient" {
			t.Errorf("off-team nurse's import: %+v", theirs)
		}
	})
}

// TestCareplanRefusals: a file that breaks the standard answers 422 naming
// the row and the column, and imports nothing, not even its good rows.
func TestCareplanRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := careplanRegion(t, h)
		good := nurseRow("202612", 1)
		utf8Row := []byte(strings.Join(good.fields(2), ",") + "\r\n")
		before := countVisits(t, h, r.patientID)
		for _, c := range []struct {
			name, file string
			body       []byte
			status     int
			code, loc  string
			message    string
		}{
			{"UTF-8 instead of MS932", planName("202612"), append(planFile(t, good), utf8Row...), 422, "careplan_file_invalid",
				"body.rows[2].columns[21]", "サービス事業所名: " + careplan.RuleEncoding},
			{"wrong column count", planName("202612"), planFile(t, good, func() planRow { b := good; b.columns = 22; return b }()), 422,
				"careplan_file_invalid", "body.rows[2]", careplan.RuleColumns},
			{"a month that does not exist", planName("202613"), planFile(t, nurseRow("202613", 1)), 422, "careplan_file_invalid",
				"query.filename", careplan.RuleMonth},
			{"a day the month does not have", planName("202611"), planFile(t, nurseRow("202611", 3), nurseRow("202611", 31)), 422,
				"careplan_file_invalid", "body.rows[2].columns[10]", "サービス利用日: " + careplan.RuleDate},
			{"a bad check digit", planName("202612"), planFile(t, good, func() planRow { b := good; b.insurer = "139999"; return b }()), 422,
				"careplan_file_invalid", "body.rows[2].columns[2]", "保険者番号: " + careplan.RuleInsurerNumber},
			{"a 実績 file", strings.Replace(planName("202612"), "UPPLAN", "UPJSK", 1), planFile(t, good), 422, "careplan_file_invalid",
				"query.filename", careplan.RuleFileKind},
			{"not named by the standard", "plan.csv", planFile(t, good), 422, "careplan_file_invalid", "query.filename", careplan.RuleFileName},
			{"addressed to another office", strings.Replace(planName("202612"), stationOffice, "1360000099", 1), planFile(t, good), 422,
				"careplan_not_addressed", "query.filename", ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				for _, op := range []string{"preview", "import"} {
					res, _ := r.nurseC.plan(t, op, c.file, c.body)
					if res.status != c.status || res.code() != c.code {
						t.Fatalf("%s: %d %s", op, res.status, res.body)
					}
					var p struct {
						Errors []struct{ Location, Message string }
					}
					res.json(t, &p)
					if len(p.Errors) != 1 || p.Errors[0].Location != c.loc || (c.message != "" && p.Errors[0].Message != c.message) {
						t.Errorf("%s: errors %+v, want %s %q", op, p.Errors, c.loc, c.message)
					}
				}
				if n := countVisits(t, h, r.patientID); n != before {
					t.Errorf("a refused file made %d visits", n-before)
				}
			})
		}
		// A facility without a 介護保険事業所番号 cannot import.
		if res, _ := r.helperC.plan(t, "import", planName("202612"), planFile(t, good)); res.status != 409 || res.code() != "office_number_missing" {
			t.Errorf("facility without an office number: %d %s", res.status, res.body)
		}
		if res := r.nurseC.do("GET", "/api/v1/careplan/actuals?month=2026-13&service_type=13&to="+cmOffice, nil); res.status != 422 {
			t.Errorf("a month that does not exist: %d %s", res.status, res.body)
		}
	})
}

// TestCareplanNumbers: the numbers are checked at the edge (the problem
// names the field and the rule, never the value), and only those who edit
// demographics (facilities: the network office) change them.
func TestCareplanNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := careplanRegion(t, h)
		patch := func(c *client, fields map[string]any) response {
			var p struct{ Version int64 }
			r.doctorC.must(200, "GET", "/api/v1/patients/"+r.patientID, nil).json(t, &p)
			body := map[string]any{"version": p.Version, "name": "見本 " + canaryName, "name_kana": "ミホン カナリア", "birth_date": "1940-02-03",
				"sex": "female", "address": "架空県つなぐ市1-1", "phone": "000-0000-0000"}
			for k, v := range fields {
				body[k] = v
			}
			return c.do("PATCH", "/api/v1/patients/"+r.patientID, body)
		}
		for field, bad := range map[string]string{"insurer_number": "139999", "insured_number": "12345"} {
			res := patch(r.doctorC, map[string]any{field: bad})
			if res.status != 422 || !strings.Contains(res.body, `"location":"body.`+field+`"`) || strings.Contains(res.body, bad) {
				t.Errorf("%s %s: %d %s", field, bad, res.status, res.body)
			}
		}
		if res := patch(r.doctorC, map[string]any{"insurer_number": "13999"}); res.status != 422 {
			t.Errorf("5 digits: %d", res.status)
		}
		// Who may change whom: the visiting nurse and the care worker on
		// the team do not manage the patient, so the numbers stay.
		for who, c := range map[string]*client{"nurse": r.nurseC, "care worker": r.helperC} {
			if res := patch(c, map[string]any{"insured_number": "0000000001"}); res.status != 403 {
				t.Errorf("%s changed the numbers: %d", who, res.status)
			}
		}
		var p struct {
			InsurerNumber string `json:"insurer_number"`
			InsuredNumber string `json:"insured_number"`
			Name          string
		}
		r.doctorC.must(200, "GET", "/api/v1/patients/"+r.patientID, nil).json(t, &p)
		if p.InsurerNumber != testInsurer || p.InsuredNumber != testInsured || !strings.Contains(p.Name, canaryName) {
			t.Errorf("after the refusals: %+v", p)
		}
		// Absent keeps the numbers; empty clears them.
		patch(r.doctorC, map[string]any{})
		r.doctorC.must(200, "GET", "/api/v1/patients/"+r.patientID, nil).json(t, &p)
		if p.InsuredNumber != testInsured {
			t.Errorf("an edit without the numbers cleared them: %+v", p)
		}
		// A facility's number: the network office only.
		for who, c := range map[string]*client{"facility admin": h.signIn(r.clinicAdmin), "nurse": r.nurseC} {
			if res := c.do("PATCH", "/api/v1/facilities/"+r.station, map[string]any{"office_number": "1399999999"}); res.status != 403 {
				t.Errorf("%s changed an office number: %d", who, res.status)
			}
		}
		admin := h.signIn(r.netAdmin)
		if res := admin.do("PATCH", "/api/v1/facilities/"+r.station, map[string]any{"office_number": "13600000"}); res.status != 422 ||
			!strings.Contains(res.body, "body.office_number") {
			t.Errorf("8 digits: %d %s", res.status, res.body)
		}
		var fs struct {
			Facilities []struct {
				ID           string
				OfficeNumber string `json:"office_number"`
			}
		}
		r.nurseC.must(200, "GET", "/api/v1/facilities", nil).json(t, &fs)
		for _, f := range fs.Facilities {
			if f.ID == r.station && f.OfficeNumber != stationOffice {
				t.Errorf("station's office number: %q", f.OfficeNumber)
			}
		}
	})
}
