package care

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Record kinds. The first three are chart content (clinical professions
// only); the others are shared with the whole care team.
const (
	KindNursingVisit = "nursing_visit" // 訪問看護記録
	KindDoctorNote   = "doctor_note"   // 診療メモ・指示
	KindMedication   = "medication"    // 服薬指導
	KindCareNote     = "care_note"     // ケアマネ記録
	KindNote         = "note"          // 連絡メモ
	KindDocument     = "document"      // 書類 (camera-scanned pages)
)

// RecordKinds lists every record kind; ChartKinds and SharedKinds split them
// by the access level they need.
var (
	RecordKinds = []string{KindNursingVisit, KindDoctorNote, KindMedication, KindCareNote, KindNote, KindDocument}
	ChartKinds  = []string{KindNursingVisit, KindDoctorNote, KindMedication}
	SharedKinds = []string{KindCareNote, KindNote, KindDocument}
)

// RecordLevel is the access level reading or writing a record of kind needs.
func RecordLevel(kind string) Level {
	if Valid(ChartKinds, kind) {
		return Chart
	}
	return Shared
}

// Record statuses. A record is never deleted: a mistaken one is amended to
// entered_in_error and stays in the history.
const (
	RecordFinal          = "final"
	RecordEnteredInError = "entered_in_error"
)

// RecordStatuses lists the statuses of a record version.
var RecordStatuses = []string{RecordFinal, RecordEnteredInError}

// Medication adherence codes (服薬状況).
var Adherences = []string{"good", "partial", "poor", "unknown"}

// JCS lists the Japan Coma Scale codes; "0" is alert.
var JCS = []string{"0", "I-1", "I-2", "I-3", "II-10", "II-20", "II-30", "III-100", "III-200", "III-300"}

// Limits of record content.
const (
	MaxRecordText   = 4000 // characters of any free-text field
	MaxDrugs        = 50
	MaxAttachments  = 50
	maxShortText    = 200
	maxReasonLength = 1000
)

// Vitals are the structured measurements of a record. Every value is
// optional; a present one must be physiologically possible.
type Vitals struct {
	TemperatureC  *float64 `json:"temperature_c,omitempty" doc:"body temperature, °C (30–45)"`
	BPSystolic    *int     `json:"bp_systolic,omitempty" doc:"systolic blood pressure, mmHg (40–300)"`
	BPDiastolic   *int     `json:"bp_diastolic,omitempty" doc:"diastolic blood pressure, mmHg (20–200, below systolic)"`
	Pulse         *int     `json:"pulse,omitempty" doc:"pulse, /min (20–250)"`
	SpO2          *int     `json:"spo2,omitempty" doc:"oxygen saturation, % (50–100)"`
	Respiration   *int     `json:"respiration,omitempty" doc:"respiratory rate, /min (4–80)"`
	WeightKg      *float64 `json:"weight_kg,omitempty" doc:"body weight, kg (1–300)"`
	Pain          *int     `json:"pain,omitempty" doc:"pain score NRS (0–10)"`
	Consciousness *string  `json:"consciousness,omitempty" doc:"Japan Coma Scale: 0, I-1, I-2, I-3, II-10, II-20, II-30, III-100, III-200, III-300"`
}

// Empty reports whether no measurement is present.
func (v Vitals) Empty() bool {
	return v.TemperatureC == nil && v.BPSystolic == nil && v.BPDiastolic == nil && v.Pulse == nil && v.SpO2 == nil &&
		v.Respiration == nil && v.WeightKg == nil && v.Pain == nil && v.Consciousness == nil
}

// Validate returns a validation error naming the first impossible value
// ("vitals.spo2").
func (v Vitals) Validate() error {
	checkF := func(field string, x *float64, lo, hi float64) error {
		if x != nil && (*x < lo || *x > hi) {
			return Invalid("vitals."+field, "must be between %g and %g", lo, hi)
		}
		return nil
	}
	checkI := func(field string, x *int, lo, hi int) error {
		if x != nil && (*x < lo || *x > hi) {
			return Invalid("vitals."+field, "must be between %d and %d", lo, hi)
		}
		return nil
	}
	for _, err := range []error{
		checkF("temperature_c", v.TemperatureC, 30, 45),
		checkI("bp_systolic", v.BPSystolic, 40, 300),
		checkI("bp_diastolic", v.BPDiastolic, 20, 200),
		checkI("pulse", v.Pulse, 20, 250),
		checkI("spo2", v.SpO2, 50, 100),
		checkI("respiration", v.Respiration, 4, 80),
		checkF("weight_kg", v.WeightKg, 1, 300),
		checkI("pain", v.Pain, 0, 10),
	} {
		if err != nil {
			return err
		}
	}
	if v.BPSystolic != nil && v.BPDiastolic != nil && *v.BPDiastolic >= *v.BPSystolic {
		return Invalid("vitals.bp_diastolic", "must be below the systolic pressure")
	}
	if v.Consciousness != nil && !Valid(JCS, *v.Consciousness) {
		return Invalid("vitals.consciousness", "must be a Japan Coma Scale code")
	}
	return nil
}

// Flag marks a possible but abnormal value, so that the team sees it at a
// glance. Level is "high" or "low"; for consciousness "high" means a JCS
// grade above alert.
type Flag struct {
	Field     string `json:"field" doc:"the flagged value, e.g. vitals.spo2"`
	Level     string `json:"level" enum:"high,low"`
	Value     string `json:"value"`
	Threshold string `json:"threshold" doc:"the rule the value crossed, e.g. < 93"`
}

// Flags lists the abnormal values of v in field order. The thresholds are
// screening rules for adults at home, not diagnoses.
func (v Vitals) Flags() []Flag {
	fs := []Flag{}
	f64 := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	add := func(field, level, value, threshold string) {
		fs = append(fs, Flag{Field: "vitals." + field, Level: level, Value: value, Threshold: threshold})
	}
	if t := v.TemperatureC; t != nil {
		if *t >= 37.5 {
			add("temperature_c", "high", f64(*t), ">= 37.5")
		} else if *t < 35 {
			add("temperature_c", "low", f64(*t), "< 35")
		}
	}
	if x := v.BPSystolic; x != nil {
		if *x >= 160 {
			add("bp_systolic", "high", strconv.Itoa(*x), ">= 160")
		} else if *x < 90 {
			add("bp_systolic", "low", strconv.Itoa(*x), "< 90")
		}
	}
	if x := v.Pulse; x != nil {
		if *x > 100 {
			add("pulse", "high", strconv.Itoa(*x), "> 100")
		} else if *x < 50 {
			add("pulse", "low", strconv.Itoa(*x), "< 50")
		}
	}
	if x := v.SpO2; x != nil && *x < 93 {
		add("spo2", "low", strconv.Itoa(*x), "< 93")
	}
	if x := v.Respiration; x != nil {
		if *x > 24 {
			add("respiration", "high", strconv.Itoa(*x), "> 24")
		} else if *x < 10 {
			add("respiration", "low", strconv.Itoa(*x), "< 10")
		}
	}
	if x := v.Pain; x != nil && *x >= 7 {
		add("pain", "high", strconv.Itoa(*x), ">= 7")
	}
	if c := v.Consciousness; c != nil && *c != "0" {
		add("consciousness", "high", *c, "JCS > 0")
	}
	return fs
}

// Drug is one medicine checked at a medication visit.
type Drug struct {
	Name     string `json:"name" doc:"drug name as on the prescription"`
	Dose     string `json:"dose,omitempty"`
	Note     string `json:"note,omitempty"`
	Leftover *int   `json:"leftover,omitempty" doc:"leftover doses found at home (残薬), 0–9999"`
}

// Document types of a scanned document (書類の種類).
var DocumentTypes = []string{"referral", "medical_info", "prescription", "nursing_order", "consent", "lab_result", "other"}

// MaxDesignR is the highest DESIGN-R 2020 total score (depth excluded).
const MaxDesignR = 66

// RecordFields are the structured fields of every kind in one object; each
// kind may use only its own (KindFields).
type RecordFields struct {
	// nursing_visit
	Observations string `json:"observations,omitempty" doc:"nursing_visit: observations (観察)"`
	CareGiven    string `json:"care_given,omitempty" doc:"nursing_visit: care given (実施したケア)"`
	Plan         string `json:"plan,omitempty" doc:"nursing_visit: plan (計画); doctor_note: plan (方針)"`
	Wound        string `json:"wound,omitempty" doc:"nursing_visit: wound or pressure-ulcer assessment (褥瘡・創傷の評価): site, size, appearance"`
	DesignR      *int   `json:"design_r,omitempty" doc:"nursing_visit: DESIGN-R 2020 total score of the pressure ulcer (0–66, depth excluded)"`
	Excretion    string `json:"excretion,omitempty" doc:"nursing_visit: excretion (排泄): urine, stool"`
	Intake       string `json:"intake,omitempty" doc:"nursing_visit: food and fluid intake (食事・水分摂取)"`
	// doctor_note
	Note                  string `json:"note,omitempty" doc:"doctor_note: clinical note"`
	Findings              string `json:"findings,omitempty" doc:"doctor_note: findings (所見)"`
	Assessment            string `json:"assessment,omitempty" doc:"doctor_note: assessment (評価)"`
	Instruction           string `json:"instruction,omitempty" doc:"doctor_note: instruction to the team (指示)"`
	InstructionValidUntil string `json:"instruction_valid_until,omitempty" doc:"doctor_note: last day the instruction holds, YYYY-MM-DD"`
	PrescriptionChanges   string `json:"prescription_changes,omitempty" doc:"doctor_note: prescription changes (処方変更)"`
	// medication
	DrugsChecked   []Drug `json:"drugs_checked,omitempty" doc:"medication: drugs checked (at most 50), each with its leftover doses (残薬)"`
	Adherence      string `json:"adherence,omitempty" doc:"medication: good, partial, poor or unknown (default)"`
	Issues         string `json:"issues,omitempty" doc:"medication: issues found"`
	SideEffects    string `json:"side_effects,omitempty" doc:"medication: side effects seen (副作用)"`
	ReportToDoctor string `json:"report_to_doctor,omitempty" doc:"medication: report to the doctor (服薬情報提供); the doctor's digest lists it"`
	FlagToDoctor   bool   `json:"flag_to_doctor,omitempty" doc:"medication: the doctor should look at this"`
	// care_note
	Coordination   string `json:"coordination,omitempty" doc:"care_note: coordination (調整内容)"`
	PlanChange     string `json:"plan_change,omitempty" doc:"care_note: change of the care plan"`
	ServiceChanges string `json:"service_changes,omitempty" doc:"care_note: changes of services (サービス変更)"`
	Conference     string `json:"conference,omitempty" doc:"care_note: notes of the care conference (サービス担当者会議)"`
	ConferenceOn   string `json:"conference_on,omitempty" doc:"care_note: day of the care conference, YYYY-MM-DD"`
	// document
	Title        string `json:"title,omitempty" doc:"document: title of the scanned document"`
	DocumentType string `json:"document_type,omitempty" doc:"document: referral (紹介状), medical_info (診療情報提供書), prescription (処方箋), nursing_order (訪問看護指示書), consent (同意書), lab_result (検査結果) or other (その他, the default)"`
}

// KindFields names the structured fields each kind may use.
var KindFields = map[string][]string{
	KindNursingVisit: {"observations", "care_given", "plan", "wound", "design_r", "excretion", "intake"},
	KindDoctorNote:   {"note", "findings", "assessment", "plan", "instruction", "instruction_valid_until", "prescription_changes"},
	KindMedication:   {"drugs_checked", "adherence", "issues", "side_effects", "report_to_doctor", "flag_to_doctor"},
	KindCareNote:     {"coordination", "plan_change", "service_changes", "conference", "conference_on"},
	KindNote:         {},
	KindDocument:     {"title", "document_type"},
}

// set lists the fields of f that hold a value.
func (f RecordFields) set() []string {
	var s []string
	for _, x := range []struct {
		name string
		ok   bool
	}{
		{"observations", f.Observations != ""}, {"care_given", f.CareGiven != ""}, {"plan", f.Plan != ""},
		{"wound", f.Wound != ""}, {"design_r", f.DesignR != nil}, {"excretion", f.Excretion != ""}, {"intake", f.Intake != ""},
		{"note", f.Note != ""}, {"findings", f.Findings != ""}, {"assessment", f.Assessment != ""},
		{"instruction", f.Instruction != ""}, {"instruction_valid_until", f.InstructionValidUntil != ""},
		{"prescription_changes", f.PrescriptionChanges != ""},
		{"drugs_checked", len(f.DrugsChecked) > 0}, {"adherence", f.Adherence != ""}, {"issues", f.Issues != ""},
		{"side_effects", f.SideEffects != ""}, {"report_to_doctor", f.ReportToDoctor != ""}, {"flag_to_doctor", f.FlagToDoctor},
		{"coordination", f.Coordination != ""}, {"plan_change", f.PlanChange != ""},
		{"service_changes", f.ServiceChanges != ""}, {"conference", f.Conference != ""}, {"conference_on", f.ConferenceOn != ""},
		{"title", f.Title != ""}, {"document_type", f.DocumentType != ""},
	} {
		if x.ok {
			s = append(s, x.name)
		}
	}
	return s
}

// RecordContent is what one version of a record says: the general text,
// the kind's fields, vitals, the pages or photos it cites, and the items of
// 在宅医療情報連携加算 (next visit date, plan changed, care notes).
type RecordContent struct {
	Text          string       `json:"text,omitempty" doc:"general text (at most 4000 characters)"`
	Fields        RecordFields `json:"fields,omitempty"`
	Vitals        *Vitals      `json:"vitals,omitempty" doc:"chart kinds only"`
	AttachmentIDs []string     `json:"attachment_ids,omitempty" doc:"uploaded photos or pages, in page order"`
	NextVisitOn   string       `json:"next_visit_on,omitempty" doc:"next visit date, YYYY-MM-DD (在宅医療情報連携加算)"`
	PlanChanged   bool         `json:"plan_changed,omitempty" doc:"the care plan changed (在宅医療情報連携加算)"`
	CareNotes     string       `json:"care_notes,omitempty" doc:"points of care for the team (在宅医療情報連携加算)"`
}

// Normalize fills defaults: a medication record without adherence says
// "unknown"; nil lists become empty.
func (c *RecordContent) Normalize(kind string) {
	if kind == KindMedication && c.Fields.Adherence == "" {
		c.Fields.Adherence = "unknown"
	}
	if kind == KindDocument && c.Fields.DocumentType == "" {
		c.Fields.DocumentType = "other"
	}
	if c.AttachmentIDs == nil {
		c.AttachmentIDs = []string{}
	}
	if c.Vitals != nil && c.Vitals.Empty() {
		c.Vitals = nil
	}
}

// ValidateRecord checks content c for a record of kind: the kind's own
// fields only, lengths, dates, vitals ranges and attachment ids. The error
// names the offending field ("fields.adherence", "vitals.spo2").
func ValidateRecord(kind string, c RecordContent) error {
	if !Valid(RecordKinds, kind) {
		return Invalid("kind", "unknown record kind %q", kind)
	}
	allowed := KindFields[kind]
	for _, name := range c.Fields.set() {
		if !Valid(allowed, name) {
			return Invalid("fields."+name, "not a field of a %s record", kind)
		}
	}
	f := c.Fields
	for _, t := range []struct {
		field, value string
		max          int
	}{
		{"text", c.Text, MaxRecordText}, {"care_notes", c.CareNotes, MaxRecordText},
		{"fields.observations", f.Observations, MaxRecordText}, {"fields.care_given", f.CareGiven, MaxRecordText},
		{"fields.plan", f.Plan, MaxRecordText}, {"fields.note", f.Note, MaxRecordText},
		{"fields.instruction", f.Instruction, MaxRecordText}, {"fields.issues", f.Issues, MaxRecordText},
		{"fields.coordination", f.Coordination, MaxRecordText}, {"fields.plan_change", f.PlanChange, MaxRecordText},
		{"fields.wound", f.Wound, MaxRecordText}, {"fields.excretion", f.Excretion, MaxRecordText},
		{"fields.intake", f.Intake, MaxRecordText}, {"fields.findings", f.Findings, MaxRecordText},
		{"fields.assessment", f.Assessment, MaxRecordText}, {"fields.prescription_changes", f.PrescriptionChanges, MaxRecordText},
		{"fields.side_effects", f.SideEffects, MaxRecordText}, {"fields.report_to_doctor", f.ReportToDoctor, MaxRecordText},
		{"fields.service_changes", f.ServiceChanges, MaxRecordText}, {"fields.conference", f.Conference, MaxRecordText},
		{"fields.title", f.Title, maxShortText},
	} {
		if n := utf8.RuneCountInString(t.value); n > t.max {
			return Invalid(t.field, "at most %d characters (got %d)", t.max, n)
		}
		if !utf8.ValidString(t.value) {
			return Invalid(t.field, "must be valid UTF-8")
		}
	}
	if err := validDay("fields.instruction_valid_until", f.InstructionValidUntil); err != nil {
		return err
	}
	if err := validDay("fields.conference_on", f.ConferenceOn); err != nil {
		return err
	}
	if err := validDay("next_visit_on", c.NextVisitOn); err != nil {
		return err
	}
	if f.DesignR != nil && (*f.DesignR < 0 || *f.DesignR > MaxDesignR) {
		return Invalid("fields.design_r", "must be between 0 and %d", MaxDesignR)
	}
	if f.DocumentType != "" && !Valid(DocumentTypes, f.DocumentType) {
		return Invalid("fields.document_type", "must be one of referral, medical_info, prescription, nursing_order, consent, lab_result, other")
	}
	if f.Adherence != "" && !Valid(Adherences, f.Adherence) {
		return Invalid("fields.adherence", "must be one of good, partial, poor, unknown")
	}
	if len(f.DrugsChecked) > MaxDrugs {
		return Invalid("fields.drugs_checked", "at most %d drugs", MaxDrugs)
	}
	for i, d := range f.DrugsChecked {
		at := fmt.Sprintf("fields.drugs_checked[%d].", i)
		if d.Name == "" {
			return Invalid(at+"name", "a drug needs a name")
		}
		if utf8.RuneCountInString(d.Name) > maxShortText || utf8.RuneCountInString(d.Dose) > maxShortText {
			return Invalid(at+"name", "name and dose are at most %d characters", maxShortText)
		}
		if utf8.RuneCountInString(d.Note) > 1000 {
			return Invalid(at+"note", "at most 1000 characters")
		}
		if d.Leftover != nil && (*d.Leftover < 0 || *d.Leftover > 9999) {
			return Invalid(at+"leftover", "must be between 0 and 9999")
		}
	}
	if c.Vitals != nil {
		if RecordLevel(kind) != Chart {
			return Invalid("vitals", "vitals belong in a chart record (nursing_visit, doctor_note, medication)")
		}
		if err := c.Vitals.Validate(); err != nil {
			return err
		}
	}
	if len(c.AttachmentIDs) > MaxAttachments {
		return Invalid("attachment_ids", "at most %d attachments", MaxAttachments)
	}
	seen := map[string]bool{}
	for i, id := range c.AttachmentIDs {
		if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
			return Invalid(fmt.Sprintf("attachment_ids[%d]", i), "must be a UUID")
		}
		if seen[id] {
			return Invalid(fmt.Sprintf("attachment_ids[%d]", i), "listed twice")
		}
		seen[id] = true
	}
	switch kind {
	case KindNote:
		if c.Text == "" {
			return Invalid("text", "a note needs text")
		}
	case KindDocument:
		if f.Title == "" {
			return Invalid("fields.title", "a document needs a title")
		}
		if len(c.AttachmentIDs) == 0 {
			return Invalid("attachment_ids", "a document needs at least one page")
		}
	case KindMedication:
		// adherence alone ("unknown" by default) is not a record
		if c.Text == "" && len(f.DrugsChecked) == 0 && f.Issues == "" && f.SideEffects == "" && f.ReportToDoctor == "" && !f.FlagToDoctor &&
			(f.Adherence == "" || f.Adherence == "unknown") && c.Vitals == nil {
			return Invalid("fields", "a medication record needs drugs checked, adherence, issues, side effects, a report or text")
		}
	default:
		if c.Text == "" && len(f.set()) == 0 && c.Vitals == nil && len(c.AttachmentIDs) == 0 && c.CareNotes == "" {
			return Invalid("text", "the record is empty")
		}
	}
	return nil
}

// ValidateReason checks the reason an amendment gives.
func ValidateReason(reason string) error {
	if reason == "" {
		return Invalid("reason", "an amendment needs a reason")
	}
	if utf8.RuneCountInString(reason) > maxReasonLength {
		return Invalid("reason", "at most %d characters", maxReasonLength)
	}
	return nil
}

func validDay(field, s string) error {
	if s == "" {
		return nil
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil || d.Year() < 1900 || d.Year() > 2200 {
		return Invalid(field, "must be a date YYYY-MM-DD")
	}
	return nil
}
