package fhir_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/fhir"
	"tsunagu/internal/fhir/fhirtest"
)

func ptr[T any](v T) *T { return &v }

// sample is a fictional patient with every kind of content.
func sample() fhir.Input {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	at := func(s string) time.Time { t, _ := time.ParseInLocation("2006-01-02 15:04", s, tokyo); return t }
	occ := at("2026-11-03 10:00")
	return fhir.Input{
		Loc:           tokyo,
		Patient:       fhir.Patient{ID: "01900000-0000-7000-8000-000000000001", FacilityID: "01900000-0000-7000-8000-0000000000f1", Name: "架空 花子", NameKana: "カクウ ハナコ", BirthDate: "1938-04-01", Sex: "female", Address: "架空県架空市1-2-3", Phone: "000-0000-0000"},
		Organizations: []fhir.Organization{{ID: "01900000-0000-7000-8000-0000000000f1", Name: "架空診療所", Kind: "clinic"}},
		People:        []fhir.Person{{ID: "01900000-0000-7000-8000-0000000000a1", Name: "医師 一郎", NameKana: "イシ イチロウ", Profession: "doctor", FacilityID: "01900000-0000-7000-8000-0000000000f1", Active: true}},
		Team:          []fhir.Member{{ID: "01900000-0000-7000-8000-0000000000b1", UserID: "01900000-0000-7000-8000-0000000000a1", Role: "primary_physician", Profession: "doctor", FacilityID: "01900000-0000-7000-8000-0000000000f1", AddedAt: at("2026-10-01 09:00")}},
		Consents:      []fhir.Consent{{ID: "01900000-0000-7000-8000-0000000000c1", ObtainedOn: "2026-10-01", Scope: "full", RecordedAt: at("2026-10-01 09:30"), RecordedBy: "01900000-0000-7000-8000-0000000000a1", Pages: []string{"01900000-0000-7000-8000-0000000000d9"}}},
		Encounters: []fhir.Encounter{
			{VisitID: "01900000-0000-7000-8000-0000000000e1", Kind: "doctor_visit", Start: occ, End: occ.Add(30 * time.Minute), AssigneeIDs: []string{"01900000-0000-7000-8000-0000000000a1"}, RecordID: "01900000-0000-7000-8000-000000000101"},
		},
		Records: []fhir.Record{
			{ID: "01900000-0000-7000-8000-000000000101", Kind: "doctor_note", AuthorID: "01900000-0000-7000-8000-0000000000a1", OccurredAt: occ, CreatedAt: occ, Version: 1, Status: "final",
				Content: care.RecordContent{Text: "往診。<変化なし> & 安定", Fields: care.RecordFields{Findings: "胸部聴診異常なし", Plan: "経過観察"},
					Vitals:        &care.Vitals{TemperatureC: ptr(36.8), BPSystolic: ptr(128), BPDiastolic: ptr(76), Pulse: ptr(72), SpO2: ptr(96), Respiration: ptr(16), WeightKg: ptr(48.5), Pain: ptr(2), Consciousness: ptr("I-1")},
					AttachmentIDs: []string{"01900000-0000-7000-8000-0000000000d1"}}},
			{ID: "01900000-0000-7000-8000-000000000102", Kind: "document", AuthorID: "01900000-0000-7000-8000-0000000000a1", OccurredAt: occ.Add(time.Hour), CreatedAt: occ, Version: 1, Status: "final",
				Content: care.RecordContent{Fields: care.RecordFields{Title: "紹介状", DocumentType: "referral"}, AttachmentIDs: []string{"01900000-0000-7000-8000-0000000000d2"}}},
		},
		Attachments: map[string]fhir.Attachment{
			"01900000-0000-7000-8000-0000000000d1": {ID: "01900000-0000-7000-8000-0000000000d1", ContentType: "image/jpeg", Size: 1234, UploadedAt: occ},
			"01900000-0000-7000-8000-0000000000d2": {ID: "01900000-0000-7000-8000-0000000000d2", ContentType: "image/jpeg", Size: 2345, UploadedAt: occ},
			"01900000-0000-7000-8000-0000000000d9": {ID: "01900000-0000-7000-8000-0000000000d9", ContentType: "image/jpeg", Size: 3456, UploadedAt: occ},
		},
		AttachmentURL: func(id string) string { return "https://tsunagu.invalid/api/v1/attachments/" + id + "?redirect=1" },
	}
}

func TestBuildCodesAndValidity(t *testing.T) {
	rs := fhir.Build(sample(), fhir.RefURN)
	b, err := fhir.Marshal(fhir.Bundle("01900000-0000-7000-8000-00000000bbbb", time.Unix(1_800_000_000, 0), rs))
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	obs := map[string]map[string]any{}
	for _, e := range bundle.Entry {
		typ := e.Resource["resourceType"].(string)
		count[typ]++
		if typ == "Observation" {
			code := e.Resource["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)
			obs[code["code"].(string)] = e.Resource
		}
	}
	for typ, n := range map[string]int{"Patient": 1, "Organization": 1, "Practitioner": 1, "PractitionerRole": 1, "CareTeam": 1,
		"Consent": 1, "Encounter": 1, "Composition": 1, "DocumentReference": 3, "Observation": 8} {
		if count[typ] != n {
			t.Errorf("%s: %d resources, want %d (all: %v)", typ, count[typ], n, count)
		}
	}
	quantity := func(o map[string]any) (float64, string, string) {
		q := o["valueQuantity"].(map[string]any)
		return q["value"].(float64), q["system"].(string), q["code"].(string)
	}
	for code, want := range map[string]struct {
		value float64
		unit  string
	}{"8310-5": {36.8, "Cel"}, "8867-4": {72, "/min"}, "2708-6": {96, "%"}, "9279-1": {16, "/min"}, "29463-7": {48.5, "kg"}, "72514-3": {2, "{score}"}} {
		o, ok := obs[code]
		if !ok {
			t.Errorf("no observation %s", code)
			continue
		}
		v, sys, unit := quantity(o)
		if v != want.value || sys != fhir.SystemUCUM || unit != want.unit {
			t.Errorf("%s: %v %s %s, want %v %s (UCUM)", code, v, sys, unit, want.value, want.unit)
		}
	}
	spo2 := obs["2708-6"]["code"].(map[string]any)["coding"].([]any)
	if len(spo2) != 2 || spo2[1].(map[string]any)["code"] != "59408-5" {
		t.Errorf("SpO2 codings %v, want 2708-6 and 59408-5", spo2)
	}
	bp, ok := obs["85354-9"]
	if !ok {
		t.Fatal("no blood-pressure panel 85354-9")
	}
	if _, has := bp["valueQuantity"]; has {
		t.Error("the blood-pressure panel has a value of its own")
	}
	comps := bp["component"].([]any)
	for i, want := range []struct {
		code  string
		value float64
	}{{"8480-6", 128}, {"8462-4", 76}} {
		c := comps[i].(map[string]any)
		code := c["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"]
		q := c["valueQuantity"].(map[string]any)
		if code != want.code || q["value"].(float64) != want.value || q["code"] != "mm[Hg]" || q["system"] != fhir.SystemUCUM {
			t.Errorf("bp component %d: %v %v, want %s %v mm[Hg]", i, code, q, want.code, want.value)
		}
	}
	jcs, ok := obs["jcs"]
	if !ok {
		t.Fatal("no JCS observation")
	}
	if v := jcs["valueCodeableConcept"].(map[string]any)["coding"].([]any)[0].(map[string]any); v["system"] != fhir.SystemJCS || v["code"] != "I-1" {
		t.Errorf("JCS value %v", v)
	}
	for _, o := range obs {
		cat := o["category"].([]any)[0].(map[string]any)["coding"].([]any)[0].(map[string]any)
		if cat["system"] != fhir.SystemObsCategory {
			t.Errorf("category %v", cat)
		}
	}
	// The narrative escapes the record's text.
	if !json.Valid(b) || !containsAll(string(b), "往診。&lt;変化なし&gt; &amp; 安定", `"valueCode":"SYL"`, `"text":"カクウ ハナコ"`, `"family":"架空"`) {
		t.Errorf("bundle misses the escaped narrative or the kana name:\n%s", b)
	}

	dir := t.TempDir()
	bundlePath := filepath.Join(dir, "bundle.json")
	if err := os.WriteFile(bundlePath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "Observation.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := fhir.WriteNDJSON(w, "", fhir.Build(sample(), fhir.RefRelative)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fhirtest.Validate(t, bundlePath, f.Name())
}

func TestDerivedIDsAreStable(t *testing.T) {
	a, b := fhir.Build(sample(), fhir.RefURN), fhir.Build(sample(), fhir.RefURN)
	if len(a) != len(b) {
		t.Fatal("two builds of the same input differ in length")
	}
	seen := map[string]bool{}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Type != b[i].Type {
			t.Errorf("resource %d: %s/%s then %s/%s", i, a[i].Type, a[i].ID, b[i].Type, b[i].ID)
		}
		if seen[a[i].ID] {
			t.Errorf("id %s used twice", a[i].ID)
		}
		seen[a[i].ID] = true
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
