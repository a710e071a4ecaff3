package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/fhir"
	"tsunagu/internal/fhir/fhirtest"
	"tsunagu/internal/photo/phototest"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// fhirScene is the region's patient with every kind of content: a visit
// done with the doctor's note written for it (every vital sign, blood
// pressure and JCS included, and a photo), a nursing record, a
// medication record, a care manager's note, a shared note, a scanned
// document of two pages, and a consent with its signed form.
type fhirScene struct {
	*region
	doctorNote, document, careNote, medication string
	photo                                      string
	visitID                                    string
}

func (h *harness) fhirScene(t *testing.T) *fhirScene {
	t.Helper()
	r := h.mustRegion()
	sc := &fhirScene{region: r}
	p := "/api/v1/patients/" + r.patientID
	form := h.pages(r.doctorC, r.patientID, 2)
	r.doctorC.must(201, "POST", p+"/consents", map[string]any{"obtained_on": "2026-11-10", "scope": "full", "attachment_ids": form})

	now := h.clock.Now()
	var v struct{ ID string }
	r.doctorC.must(201, "POST", p+"/visits", map[string]any{"kind": "doctor_visit", "assignee_ids": []string{r.doctor.ID},
		"starts_at": now.Add(-3 * time.Hour), "ends_at": now.Add(-150 * time.Minute)}).json(t, &v)
	sc.visitID = v.ID
	sc.photo = h.mustAttachment(r.doctorC, r.patientID, phototest.JPEG(phototest.Halves(40, 20)))
	sc.doctorNote = r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "occurred_at": now.Add(-160 * time.Minute),
		"visit_id": v.ID, "text": "往診。状態安定。", "fields": map[string]any{"findings": "呼吸音清", "assessment": "安定", "plan": "経過観察",
			"instruction": "創部観察を継続", "instruction_valid_until": "2026-12-31"},
		"vitals": map[string]any{"temperature_c": 36.9, "bp_systolic": 132, "bp_diastolic": 78, "pulse": 74, "spo2": 95,
			"respiration": 18, "weight_kg": 45.2, "pain": 3, "consciousness": "I-1"},
		"attachment_ids": []string{sc.photo}}).ID
	r.doctorC.must(200, "PATCH", "/api/v1/visits/"+v.ID, map[string]any{"base_version": 1, "status": "done", "record_id": sc.doctorNote})
	sc.medication = r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "medication",
		"fields": map[string]any{"drugs_checked": []any{map[string]any{"name": "架空錠5mg", "dose": "1錠 朝", "leftover": 2}}, "adherence": "good"}}).ID
	sc.careNote = r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "care_note",
		"fields": map[string]any{"coordination": "デイサービスの曜日を調整", "conference_on": "2026-11-25"}}).ID
	r.helperC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "食事量が少なめでした。"})
	pages := h.pages(r.doctorC, r.patientID, 2)
	sc.document = r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "document",
		"fields": map[string]any{"title": "診療情報提供書", "document_type": "medical_info"}, "attachment_ids": pages}).ID
	return sc
}

type fhirBundleJSON struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		FullURL  string         `json:"fullUrl"`
		Resource map[string]any `json:"resource"`
	} `json:"entry"`
}

func (b fhirBundleJSON) byType() map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, e := range b.Entry {
		t := e.Resource["resourceType"].(string)
		out[t] = append(out[t], e.Resource)
	}
	return out
}

func codingsOf(v any) []map[string]any {
	cc, _ := v.(map[string]any)
	var out []map[string]any
	list, _ := cc["coding"].([]any)
	for _, c := range list {
		out = append(out, c.(map[string]any))
	}
	return out
}

// TestFHIRExport exports the scene as the doctor (everything), the care
// worker (no chart resource) and an outsider (the 404 of an unknown
// patient); checks the codes and units; and runs both validators on the
// bundle and on the facility's Bulk Data files.
func TestFHIRExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		sc := h.fhirScene(t)
		path := "/api/v1/patients/" + sc.patientID + "/fhir"

		res := sc.doctorC.must(200, "GET", path, nil)
		if ct := res.header.Get("Content-Type"); ct != "application/fhir+json" {
			t.Errorf("content type %q", ct)
		}
		var b fhirBundleJSON
		res.json(t, &b)
		if b.ResourceType != "Bundle" || b.Type != "collection" {
			t.Fatalf("not a collection bundle: %s %s", b.ResourceType, b.Type)
		}
		all := b.byType()
		for typ, min := range map[string]int{"Patient": 1, "Organization": 3, "Practitioner": 3, "PractitionerRole": 3, "CareTeam": 1,
			"Consent": 2, "Encounter": 1, "Composition": 4, "DocumentReference": 3, "Observation": 8} {
			if len(all[typ]) < min {
				t.Errorf("%s: %d resources, want at least %d", typ, len(all[typ]), min)
			}
		}
		// Patient: kanji and kana names, JP Core's representation extension.
		pt := all["Patient"][0]
		if pt["id"] != sc.patientID || pt["birthDate"] != "1940-02-03" || pt["gender"] != "female" {
			t.Errorf("patient %v", pt)
		}
		names, _ := json.Marshal(pt["name"])
		if !strings.Contains(string(names), `"valueCode":"IDE"`) || !strings.Contains(string(names), `"valueCode":"SYL"`) ||
			!strings.Contains(string(names), "ミホン カナリア") || !strings.Contains(string(names), fhir.ExtNameRepresentation) {
			t.Errorf("patient names %s", names)
		}
		// Observations: LOINC codes and UCUM units as listed.
		// The doctor's note's observations (the nurse's record has some too).
		mine := map[string]bool{}
		for _, k := range []string{"temperature_c", "bp", "pulse", "spo2", "respiration", "weight_kg", "pain", "consciousness"} {
			mine[fhir.DerivedID(sc.doctorNote, "vitals", k)] = true
		}
		obs := map[string]map[string]any{}
		for _, o := range all["Observation"] {
			if !mine[o["id"].(string)] {
				continue
			}
			obs[codingsOf(o["code"])[0]["code"].(string)] = o
			if o["subject"].(map[string]any)["reference"] != "urn:uuid:"+sc.patientID {
				t.Errorf("observation subject %v", o["subject"])
			}
		}
		for code, unit := range map[string]string{"8310-5": "Cel", "8867-4": "/min", "2708-6": "%", "9279-1": "/min", "29463-7": "kg"} {
			o, ok := obs[code]
			if !ok {
				t.Errorf("no observation %s", code)
				continue
			}
			q := o["valueQuantity"].(map[string]any)
			if q["system"] != fhir.SystemUCUM || q["code"] != unit {
				t.Errorf("%s: unit %v, want UCUM %s", code, q, unit)
			}
			if cat := codingsOf(o["category"].([]any)[0])[0]; cat["code"] != "vital-signs" {
				t.Errorf("%s: category %v", code, cat)
			}
		}
		if cs := codingsOf(obs["2708-6"]["code"]); len(cs) != 2 || cs[1]["code"] != "59408-5" {
			t.Errorf("SpO2 codes %v", cs)
		}
		bp := obs["85354-9"]
		if bp == nil {
			t.Fatal("no blood-pressure panel")
		}
		comps := bp["component"].([]any)
		if len(comps) != 2 {
			t.Fatalf("bp components %v", comps)
		}
		for i, want := range []struct {
			code  string
			value float64
		}{{"8480-6", 132}, {"8462-4", 78}} {
			c := comps[i].(map[string]any)
			q := c["valueQuantity"].(map[string]any)
			if codingsOf(c["code"])[0]["code"] != want.code || q["value"] != want.value || q["code"] != "mm[Hg]" {
				t.Errorf("bp component %d: %v", i, c)
			}
		}
		if jcs := obs["jcs"]; jcs == nil || codingsOf(jcs["valueCodeableConcept"])[0]["code"] != "I-1" {
			t.Errorf("JCS observation %v", obs["jcs"])
		}
		// The visit done is an encounter, and the note written for it points there.
		enc := all["Encounter"][0]
		if enc["id"] != sc.visitID || enc["status"] != "finished" {
			t.Errorf("encounter %v", enc)
		}
		if o := obs["8310-5"]; o["encounter"] == nil || o["encounter"].(map[string]any)["reference"] != "urn:uuid:"+sc.visitID {
			t.Errorf("observation encounter %v (encounter %v)", o["encounter"], enc)
		}
		// Attachments: a link needing a session, never the bytes.
		for _, d := range all["DocumentReference"] {
			for _, c := range d["content"].([]any) {
				a := c.(map[string]any)["attachment"].(map[string]any)
				if _, inline := a["data"]; inline {
					t.Errorf("attachment carries its data: %v", a)
				}
				if u, _ := a["url"].(string); !strings.HasPrefix(u, "http") || !strings.Contains(u, "/api/v1/attachments/") || !strings.HasSuffix(u, "?redirect=1") {
					t.Errorf("attachment url %q", u)
				}
			}
		}
		if !strings.Contains(res.body, sc.photo) {
			t.Error("the note's photo is not in the export")
		}

		// The export is audited as one.
		var exports int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &exports, `SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND action = 'fhir.export' AND patient_id = ? AND result = 'ok'`,
				sc.doctor.ID, sc.patientID)
		})
		if exports != 1 {
			t.Errorf("%d fhir.export audit events, want 1", exports)
		}

		// The care worker: shared content only, no chart resource at all.
		var hb fhirBundleJSON
		hres := sc.helperC.must(200, "GET", path, nil)
		hres.json(t, &hb)
		hall := hb.byType()
		if len(hall["Observation"]) != 0 {
			t.Errorf("care worker's export has %d observations", len(hall["Observation"]))
		}
		for _, chart := range []string{sc.doctorNote, sc.recordID, sc.medication, sc.photo, "状態安定", "訪問。著変なし。"} {
			if strings.Contains(hres.body, chart) {
				t.Errorf("care worker's export carries chart content %q", chart)
			}
		}
		for _, shared := range []string{sc.careNote, sc.document, "食事量が少なめでした。"} {
			if !strings.Contains(hres.body, shared) {
				t.Errorf("care worker's export misses shared content %q", shared)
			}
		}
		if len(hall["Encounter"]) != 1 || len(hall["Patient"]) != 1 {
			t.Errorf("care worker's export: %d encounters, %d patients", len(hall["Encounter"]), len(hall["Patient"]))
		}
		// ...nor the signed consent form, which only those who manage read.
		for _, c := range hall["Consent"] {
			if _, has := c["sourceReference"]; has {
				t.Errorf("care worker sees the consent form: %v", c)
			}
		}

		// Off the team: the 404 of an unknown patient.
		outsiderC := h.signIn(sc.outsider)
		got := outsiderC.must(404, "GET", path, nil)
		unknown := outsiderC.must(404, "GET", "/api/v1/patients/01900000-0000-7000-8000-000000000000/fhir", nil)
		if stripRequestID(got.body) != stripRequestID(unknown.body) {
			t.Errorf("outsider's 404 %s differs from an unknown patient's %s", got.body, unknown.body)
		}

		// since/until narrow records and visits, never the patient.
		var nb fhirBundleJSON
		sc.doctorC.must(200, "GET", path+"?until="+h.clock.Now().Add(-5*time.Hour).UTC().Format(time.RFC3339), nil).json(t, &nb)
		nall := nb.byType()
		if len(nall["Observation"]) != 0 || len(nall["Encounter"]) != 0 || len(nall["Composition"]) != 0 || len(nall["Patient"]) != 1 {
			t.Errorf("until before everything: %d observations, %d encounters, %d compositions, %d patients",
				len(nall["Observation"]), len(nall["Encounter"]), len(nall["Composition"]), len(nall["Patient"]))
		}
		if r := sc.doctorC.do("GET", path+"?since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z", nil); r.status != 422 {
			t.Errorf("until before since: %d %s", r.status, r.body)
		}

		// The facility's Bulk Data export, as the clinic's admin who is the
		// patient's doctor: the same content as the bundle, one file per type.
		if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`UPDATE app_user SET facility_admin = ? WHERE id = ?`), true, sc.doctor.ID); err != nil {
			t.Fatal(err)
		}
		var manifest struct {
			Output []struct{ Type, URL string }
		}
		sc.doctorC.must(200, "GET", "/api/v1/facilities/"+sc.clinic+"/fhir", nil).json(t, &manifest)
		dir := t.TempDir()
		bundlePath := filepath.Join(dir, "bundle.json")
		if err := os.WriteFile(bundlePath, []byte(res.body), 0o600); err != nil {
			t.Fatal(err)
		}
		files := []string{bundlePath}
		lines := 0
		for _, o := range manifest.Output {
			u, err := url.Parse(o.URL)
			if err != nil || u.Path != "/api/v1/facilities/"+sc.clinic+"/fhir/"+o.Type {
				t.Fatalf("manifest url %q", o.URL)
			}
			rel := u.Path
			fr := sc.doctorC.must(200, "GET", rel, nil)
			if ct := fr.header.Get("Content-Type"); ct != "application/fhir+ndjson" {
				t.Errorf("%s: content type %q", o.Type, ct)
			}
			for _, l := range strings.Split(strings.TrimSuffix(fr.body, "\n"), "\n") {
				if l == "" {
					continue
				}
				lines++
				var r struct{ ResourceType string }
				if err := json.Unmarshal([]byte(l), &r); err != nil || r.ResourceType != o.Type {
					t.Errorf("%s file holds %q (%v)", o.Type, l, err)
				}
			}
			f := filepath.Join(dir, o.Type+".ndjson")
			if err := os.WriteFile(f, []byte(fr.body), 0o600); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		if lines < len(b.Entry) {
			t.Errorf("bulk export has %d resources, the doctor's bundle %d", lines, len(b.Entry))
		}
		fhirtest.Validate(t, files...)
	})
}

// TestFHIRBulkExportAccess: only a network admin or the facility's own
// admin starts a facility's export, and being an admin opens no chart: a
// network admin on no team gets no patient, a facility admin of another
// facility is refused, an unknown facility is 404.
func TestFHIRBulkExportAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		netC := h.signIn(r.netAdmin)
		base := "/api/v1/facilities/" + r.clinic + "/fhir"
		netC.must(200, "GET", base, nil)
		for _, typ := range []string{"Patient", "Observation", "Composition", "Consent"} {
			if res := netC.must(200, "GET", base+"/"+typ, nil); res.body != "" {
				t.Errorf("network admin on no team gets %s lines: %s", typ, res.body)
			}
		}
		if res := netC.must(200, "GET", base+"/Organization", nil); !strings.Contains(res.body, r.clinic) {
			t.Errorf("network admin's Organization file misses the clinic: %s", res.body)
		}
		// The clinic's admin (not on the team, no consent-free registration
		// reach) gets no patient either.
		adminC := h.signIn(r.clinicAdmin)
		if res := adminC.must(200, "GET", base+"/Patient", nil); res.body != "" {
			t.Errorf("clinic admin off the team gets patients: %s", res.body)
		}
		stationAdmin := h.mustUser(r.station, "other", func(u *store.User) { u.FacilityAdmin = true })
		h.signIn(stationAdmin).must(403, "GET", base+"/Patient", nil)
		r.nurseC.must(403, "GET", base, nil)
		netC.must(404, "GET", "/api/v1/facilities/01900000-0000-7000-8000-000000000000/fhir", nil)
		netC.must(422, "GET", base+"/Binary", nil)
	})
}

// TestFHIRExportAfterWithdrawal: once the consent is withdrawn the
// registrar still reaches the patient at the Registration level, and the
// export holds what that level shows (demographics, team, consents) and no
// visit, record or vital sign; the team's nurse gets the 404.
func TestFHIRExportAfterWithdrawal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		r.doctorC.must(200, "POST", "/api/v1/patients/"+r.patientID+"/consents/"+r.consentID+"/withdraw", map[string]any{"reason": "本人の申し出"})
		path := "/api/v1/patients/" + r.patientID + "/fhir"
		var b fhirBundleJSON
		res := r.doctorC.must(200, "GET", path, nil)
		res.json(t, &b)
		all := b.byType()
		if len(all["Patient"]) != 1 || len(all["Consent"]) != 1 || all["Consent"][0]["status"] != "inactive" {
			t.Errorf("registration-level export: %d patients, consents %v", len(all["Patient"]), all["Consent"])
		}
		for _, typ := range []string{"Encounter", "Composition", "Observation", "DocumentReference"} {
			if len(all[typ]) != 0 {
				t.Errorf("registration-level export has %d %s", len(all[typ]), typ)
			}
		}
		if strings.Contains(res.body, r.recordID) {
			t.Error("registration-level export carries the nursing record")
		}
		r.nurseC.must(404, "GET", path, nil)
	})
}
