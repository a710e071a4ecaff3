package care

import (
	"fmt"
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

// Limits of record content.
const (
	MaxRecordText   = 4000 // characters of any free-text field
	MaxDrugs        = 50
	MaxAttachments  = 50
	maxShortText    = 200
	maxReasonLength = 1000
)

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
