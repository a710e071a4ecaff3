package care_test

import (
	"errors"
	"strings"
	"testing"

	"tsunagu/internal/care"
)

func ptr[T any](v T) *T { return &v }

func TestVitalsValidate(t *testing.T) {
	cases := []struct {
		name  string
		v     care.Vitals
		field string // "" = valid
	}{
		{"empty", care.Vitals{}, ""},
		{"typical", care.Vitals{TemperatureC: ptr(36.6), BPSystolic: ptr(128), BPDiastolic: ptr(76), Pulse: ptr(72), SpO2: ptr(97),
			Respiration: ptr(16), WeightKg: ptr(48.5), Pain: ptr(2), Consciousness: ptr("0")}, ""},
		{"limits inclusive", care.Vitals{TemperatureC: ptr(45.0), SpO2: ptr(100), Pain: ptr(0), WeightKg: ptr(1.0)}, ""},
		{"temperature low", care.Vitals{TemperatureC: ptr(29.9)}, "vitals.temperature_c"},
		{"temperature high", care.Vitals{TemperatureC: ptr(45.1)}, "vitals.temperature_c"},
		{"systolic", care.Vitals{BPSystolic: ptr(301)}, "vitals.bp_systolic"},
		{"diastolic", care.Vitals{BPDiastolic: ptr(19)}, "vitals.bp_diastolic"},
		{"diastolic not below systolic", care.Vitals{BPSystolic: ptr(100), BPDiastolic: ptr(100)}, "vitals.bp_diastolic"},
		{"pulse", care.Vitals{Pulse: ptr(251)}, "vitals.pulse"},
		{"spo2 above 100", care.Vitals{SpO2: ptr(101)}, "vitals.spo2"},
		{"spo2 low", care.Vitals{SpO2: ptr(49)}, "vitals.spo2"},
		{"respiration", care.Vitals{Respiration: ptr(3)}, "vitals.respiration"},
		{"weight", care.Vitals{WeightKg: ptr(301.0)}, "vitals.weight_kg"},
		{"pain", care.Vitals{Pain: ptr(11)}, "vitals.pain"},
		{"negative pain", care.Vitals{Pain: ptr(-1)}, "vitals.pain"},
		{"consciousness", care.Vitals{Consciousness: ptr("II-15")}, "vitals.consciousness"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertField(t, c.v.Validate(), c.field)
		})
	}
}

func assertField(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("want valid, got %v", err)
		}
		return
	}
	var ce *care.Error
	if !errors.As(err, &ce) || ce.Code != care.CodeValidation || ce.Field != field {
		t.Fatalf("want validation error on %s, got %v", field, err)
	}
}

func TestVitalsFlags(t *testing.T) {
	cases := []struct {
		name string
		v    care.Vitals
		want string // field:level, comma separated
	}{
		{"normal", care.Vitals{TemperatureC: ptr(37.4), BPSystolic: ptr(159), BPDiastolic: ptr(80), Pulse: ptr(100), SpO2: ptr(93), Respiration: ptr(24), Pain: ptr(6), Consciousness: ptr("0")}, ""},
		{"fever", care.Vitals{TemperatureC: ptr(37.5)}, "vitals.temperature_c:high"},
		{"hypothermia", care.Vitals{TemperatureC: ptr(34.9)}, "vitals.temperature_c:low"},
		{"hypertension", care.Vitals{BPSystolic: ptr(160)}, "vitals.bp_systolic:high"},
		{"hypotension", care.Vitals{BPSystolic: ptr(89)}, "vitals.bp_systolic:low"},
		{"tachycardia", care.Vitals{Pulse: ptr(101)}, "vitals.pulse:high"},
		{"bradycardia", care.Vitals{Pulse: ptr(49)}, "vitals.pulse:low"},
		{"desaturation", care.Vitals{SpO2: ptr(92)}, "vitals.spo2:low"},
		{"tachypnoea", care.Vitals{Respiration: ptr(25)}, "vitals.respiration:high"},
		{"severe pain", care.Vitals{Pain: ptr(7)}, "vitals.pain:high"},
		{"impaired consciousness", care.Vitals{Consciousness: ptr("I-1")}, "vitals.consciousness:high"},
		{"several", care.Vitals{TemperatureC: ptr(38.2), SpO2: ptr(90)}, "vitals.temperature_c:high,vitals.spo2:low"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, f := range c.v.Flags() {
				got = append(got, f.Field+":"+f.Level)
			}
			if s := strings.Join(got, ","); s != c.want {
				t.Fatalf("flags %q, want %q", s, c.want)
			}
		})
	}
}

const page1 = "01900000-0000-7000-8000-000000000001"

func TestValidateRecord(t *testing.T) {
	long := strings.Repeat("あ", care.MaxRecordText+1)
	drugs := make([]care.Drug, care.MaxDrugs+1)
	for i := range drugs {
		drugs[i] = care.Drug{Name: "薬"}
	}
	cases := []struct {
		name  string
		kind  string
		c     care.RecordContent
		field string
	}{
		{"unknown kind", "diary", care.RecordContent{Text: "x"}, "kind"},
		{"nursing visit", care.KindNursingVisit, care.RecordContent{Fields: care.RecordFields{Observations: "穏やか", CareGiven: "清拭", Plan: "継続"},
			Vitals: &care.Vitals{SpO2: ptr(96)}}, ""},
		{"nursing visit vitals only", care.KindNursingVisit, care.RecordContent{Vitals: &care.Vitals{Pulse: ptr(70)}}, ""},
		{"nursing visit empty", care.KindNursingVisit, care.RecordContent{}, "text"},
		{"nursing visit too long", care.KindNursingVisit, care.RecordContent{Fields: care.RecordFields{Observations: long}}, "fields.observations"},
		{"nursing visit impossible vitals", care.KindNursingVisit, care.RecordContent{Vitals: &care.Vitals{SpO2: ptr(120)}}, "vitals.spo2"},
		{"field of another kind", care.KindNursingVisit, care.RecordContent{Fields: care.RecordFields{Instruction: "x"}}, "fields.instruction"},
		{"doctor note", care.KindDoctorNote, care.RecordContent{Fields: care.RecordFields{Note: "安定", Instruction: "点滴継続", InstructionValidUntil: "2026-12-31"}}, ""},
		{"doctor note bad date", care.KindDoctorNote, care.RecordContent{Fields: care.RecordFields{Instruction: "x", InstructionValidUntil: "31/12/2026"}}, "fields.instruction_valid_until"},
		{"medication", care.KindMedication, care.RecordContent{Fields: care.RecordFields{DrugsChecked: []care.Drug{{Name: "アムロジピン", Dose: "5mg"}}, Adherence: "partial", FlagToDoctor: true}}, ""},
		{"medication bad adherence", care.KindMedication, care.RecordContent{Fields: care.RecordFields{Adherence: "bad"}}, "fields.adherence"},
		{"medication too many drugs", care.KindMedication, care.RecordContent{Fields: care.RecordFields{DrugsChecked: drugs}}, "fields.drugs_checked"},
		{"medication unnamed drug", care.KindMedication, care.RecordContent{Fields: care.RecordFields{DrugsChecked: []care.Drug{{Dose: "1錠"}}}}, "fields.drugs_checked[0].name"},
		{"medication empty", care.KindMedication, care.RecordContent{Fields: care.RecordFields{Adherence: "unknown"}}, "fields"},
		{"care note", care.KindCareNote, care.RecordContent{Fields: care.RecordFields{Coordination: "担当者会議", PlanChange: "デイ追加"}, PlanChanged: true, NextVisitOn: "2026-12-01"}, ""},
		{"care note with vitals", care.KindCareNote, care.RecordContent{Text: "x", Vitals: &care.Vitals{Pulse: ptr(70)}}, "vitals"},
		{"care note bad next visit", care.KindCareNote, care.RecordContent{Text: "x", NextVisitOn: "2026-13-01"}, "next_visit_on"},
		{"note", care.KindNote, care.RecordContent{Text: "鍵は郵便受け"}, ""},
		{"note without text", care.KindNote, care.RecordContent{CareNotes: "x"}, "text"},
		{"note with a field", care.KindNote, care.RecordContent{Text: "x", Fields: care.RecordFields{Title: "y"}}, "fields.title"},
		{"document", care.KindDocument, care.RecordContent{Fields: care.RecordFields{Title: "訪問看護指示書"}, AttachmentIDs: []string{page1}}, ""},
		{"document without pages", care.KindDocument, care.RecordContent{Fields: care.RecordFields{Title: "指示書"}}, "attachment_ids"},
		{"document without title", care.KindDocument, care.RecordContent{AttachmentIDs: []string{page1}}, "fields.title"},
		{"attachment not a uuid", care.KindDocument, care.RecordContent{Fields: care.RecordFields{Title: "t"}, AttachmentIDs: []string{"page-1"}}, "attachment_ids[0]"},
		{"attachment twice", care.KindDocument, care.RecordContent{Fields: care.RecordFields{Title: "t"}, AttachmentIDs: []string{page1, page1}}, "attachment_ids[1]"},
		{"text too long", care.KindNote, care.RecordContent{Text: long}, "text"},
		{"nursing visit wound, excretion, intake", care.KindNursingVisit, care.RecordContent{Fields: care.RecordFields{Wound: "仙骨部 2cm 発赤", DesignR: ptr(9), Excretion: "排便あり", Intake: "昼食 8割"}}, ""},
		{"design-r out of range", care.KindNursingVisit, care.RecordContent{Fields: care.RecordFields{DesignR: ptr(67)}}, "fields.design_r"},
		{"design-r on a care note", care.KindCareNote, care.RecordContent{Text: "x", Fields: care.RecordFields{DesignR: ptr(3)}}, "fields.design_r"},
		{"doctor note soap", care.KindDoctorNote, care.RecordContent{Fields: care.RecordFields{Findings: "肺雑音なし", Assessment: "安定", Plan: "経過観察", PrescriptionChanges: "利尿薬 減量"}}, ""},
		{"medication leftovers and report", care.KindMedication, care.RecordContent{Fields: care.RecordFields{
			DrugsChecked: []care.Drug{{Name: "アムロジピン", Leftover: ptr(12)}}, SideEffects: "ふらつき", ReportToDoctor: "残薬12錠"}}, ""},
		{"medication report alone", care.KindMedication, care.RecordContent{Fields: care.RecordFields{ReportToDoctor: "残薬あり"}}, ""},
		{"medication negative leftover", care.KindMedication, care.RecordContent{Fields: care.RecordFields{DrugsChecked: []care.Drug{{Name: "x", Leftover: ptr(-1)}}}}, "fields.drugs_checked[0].leftover"},
		{"care note conference", care.KindCareNote, care.RecordContent{Fields: care.RecordFields{ServiceChanges: "訪問介護 週3回へ", Conference: "本人・家族参加", ConferenceOn: "2026-12-03"}}, ""},
		{"care note bad conference day", care.KindCareNote, care.RecordContent{Fields: care.RecordFields{Conference: "x", ConferenceOn: "12/3"}}, "fields.conference_on"},
		{"document typed", care.KindDocument, care.RecordContent{Fields: care.RecordFields{Title: "紹介状", DocumentType: "referral"}, AttachmentIDs: []string{page1}}, ""},
		{"document unknown type", care.KindDocument, care.RecordContent{Fields: care.RecordFields{Title: "t", DocumentType: "letter"}, AttachmentIDs: []string{page1}}, "fields.document_type"},
		{"document type on a note", care.KindNote, care.RecordContent{Text: "x", Fields: care.RecordFields{DocumentType: "other"}}, "fields.document_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.c.Normalize(c.kind)
			assertField(t, care.ValidateRecord(c.kind, c.c), c.field)
		})
	}
}

func TestRecordLevel(t *testing.T) {
	for _, k := range care.ChartKinds {
		if care.RecordLevel(k) != care.Chart {
			t.Errorf("%s must need chart access", k)
		}
	}
	for _, k := range care.SharedKinds {
		if care.RecordLevel(k) != care.Shared {
			t.Errorf("%s must be shared with the team", k)
		}
	}
}
