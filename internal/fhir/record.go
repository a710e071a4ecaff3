package fhir

import (
	"strconv"
	"strings"

	"tsunagu/internal/care"
)

// record exports one record: a document (書類) as a DocumentReference of
// its pages; any other kind as a Composition whose sections carry its text
// and fields as narrative, with an Observation per vital sign and a
// DocumentReference of its photos.
func (b *builder) record(r Record) {
	errored := r.Status == care.RecordEnteredInError
	enc := b.encounterOf[r.ID]
	if r.Kind == care.KindDocument {
		status, docStatus := "current", "final"
		if r.Version > 1 {
			docStatus = "amended"
		}
		if errored {
			status, docStatus = "entered-in-error", "entered-in-error"
		}
		dt := r.Content.Fields.DocumentType
		codings := []Obj{}
		if l, ok := documentTypeLOINC[dt]; ok {
			codings = append(codings, coding(SystemLOINC, l[0], l[1]))
		}
		codings = append(codings, coding(SystemDocumentType, dt, documentTypeLabels[dt]))
		desc := r.Content.Fields.Title
		if desc == "" {
			desc = documentTypeLabels[dt]
		}
		if r.Content.Text != "" {
			desc += "\n" + r.Content.Text
		}
		var encs Arr
		if enc != "" {
			encs = Arr{b.ref("Encounter", enc)}
		}
		b.documentReference(r.ID, status, docStatus, concept(documentTypeLabels[dt], codings...), r.OccurredAt, r.AuthorID, desc,
			r.Content.AttachmentIDs, Obj{"encounter", encs})
		return
	}
	obs := b.observations(r, enc)
	var photos string
	if len(r.Content.AttachmentIDs) > 0 {
		photos = DerivedID(r.ID, "photos")
		status := "current"
		if errored {
			status = "entered-in-error"
		}
		var encs Arr
		if enc != "" {
			encs = Arr{b.ref("Encounter", enc)}
		}
		b.documentReference(photos, status, "", concept("写真", coding(SystemDocumentType, "photo", "写真")), r.OccurredAt, r.AuthorID,
			recordKindLabels[r.Kind]+"の写真", r.Content.AttachmentIDs, Obj{"encounter", encs, "related", Arr{b.ref("Composition", r.ID)}})
		if _, ok := b.lastAdded("DocumentReference", photos); !ok {
			photos = ""
		}
	}
	b.composition(r, enc, obs, photos)
	// The observations follow their composition in the output.
	b.out = append(b.out, obs...)
}

func (b *builder) lastAdded(typ, id string) (Resource, bool) {
	if n := len(b.out); n > 0 && b.out[n-1].Type == typ && b.out[n-1].ID == id {
		return b.out[n-1], true
	}
	return Resource{}, false
}

// section is one titled part of a record's text.
type section struct{ code, title, text string }

func sections(r Record) []section {
	c, f := r.Content, r.Content.Fields
	s := []section{{"text", "本文", c.Text}}
	add := func(code, title, text string) { s = append(s, section{code, title, text}) }
	add("observations", "観察", f.Observations)
	add("care_given", "実施したケア", f.CareGiven)
	add("wound", "褥瘡・創傷の評価", f.Wound)
	if f.DesignR != nil {
		add("design_r", "DESIGN-R 2020 合計点", strconv.Itoa(*f.DesignR))
	}
	add("excretion", "排泄", f.Excretion)
	add("intake", "食事・水分摂取", f.Intake)
	add("note", "診療メモ", f.Note)
	add("findings", "所見", f.Findings)
	add("assessment", "評価", f.Assessment)
	add("plan", "計画・方針", f.Plan)
	instruction := f.Instruction
	if instruction != "" && f.InstructionValidUntil != "" {
		instruction += "\n(有効期限: " + f.InstructionValidUntil + ")"
	}
	add("instruction", "指示", instruction)
	add("prescription_changes", "処方変更", f.PrescriptionChanges)
	if len(f.DrugsChecked) > 0 {
		var lines []string
		for _, d := range f.DrugsChecked {
			l := d.Name
			if d.Dose != "" {
				l += " " + d.Dose
			}
			if d.Leftover != nil {
				l += " 残薬 " + strconv.Itoa(*d.Leftover)
			}
			if d.Note != "" {
				l += " (" + d.Note + ")"
			}
			lines = append(lines, l)
		}
		add("drugs_checked", "確認した薬剤", strings.Join(lines, "\n"))
	}
	if r.Kind == care.KindMedication {
		add("adherence", "服薬状況", care.AdherenceLabels[f.Adherence])
	}
	add("issues", "問題点", f.Issues)
	add("side_effects", "副作用", f.SideEffects)
	add("report_to_doctor", "医師への報告", f.ReportToDoctor)
	add("coordination", "調整内容", f.Coordination)
	add("plan_change", "ケアプランの変更", f.PlanChange)
	add("service_changes", "サービス変更", f.ServiceChanges)
	conference := f.Conference
	if f.ConferenceOn != "" {
		conference = "(" + f.ConferenceOn + ")\n" + conference
	}
	add("conference", "サービス担当者会議", conference)
	add("next_visit_on", "次回訪問予定日", c.NextVisitOn)
	if c.PlanChanged {
		add("plan_changed", "計画の変更", "あり")
	}
	add("care_notes", "ケア上の留意点", c.CareNotes)
	return s
}

func (b *builder) composition(r Record, enc string, obs []Resource, photos string) {
	status := "final"
	if r.Version > 1 {
		status = "amended"
	}
	if r.Status == care.RecordEnteredInError {
		status = "entered-in-error"
	}
	codings := []Obj{}
	if l, ok := recordKindLOINC[r.Kind]; ok {
		codings = append(codings, coding(SystemLOINC, l[0], l[1]))
	}
	codings = append(codings, coding(SystemRecordKind, r.Kind, recordKindLabels[r.Kind]))
	var secs Arr
	var all []string
	for _, s := range sections(r) {
		if strings.TrimSpace(s.text) == "" {
			continue
		}
		secs = append(secs, Obj{"title", s.title, "code", concept(s.title, coding(SystemSection, s.code, s.title)), "text", narrative(s.text)})
		all = append(all, s.title+": "+s.text)
	}
	if len(obs) > 0 {
		var entries Arr
		var lines []string
		for _, o := range obs {
			entries = append(entries, b.ref("Observation", o.ID))
			if t, ok := o.Body.Get("code").(Obj); ok {
				if txt, ok := t.Get("text").(string); ok {
					lines = append(lines, txt+": "+observationValueText(o.Body))
				}
			}
		}
		secs = append(secs, Obj{"title", "バイタルサイン", "code", concept("バイタルサイン", coding(SystemLOINC, "8716-3", "Vital signs")),
			"text", narrative(lines...), "entry", entries})
		all = append(all, "バイタルサイン: "+strings.Join(lines, ", "))
	}
	if photos != "" {
		secs = append(secs, Obj{"title", "写真", "code", concept("写真", coding(SystemSection, "photos", "写真")),
			"text", narrative(recordKindLabels[r.Kind] + "の写真 " + strconv.Itoa(len(r.Content.AttachmentIDs)) + "枚"),
			"entry", Arr{b.ref("DocumentReference", photos)}})
	}
	title := recordKindLabels[r.Kind]
	if len(all) == 0 {
		// A record with nothing but its kind still says so (cmp-1: a
		// section needs text, entries or sections).
		all = []string{title}
		secs = Arr{Obj{"title", title, "text", narrative(title)}}
	}
	b.add("Composition", r.ID,
		"text", narrative(all...),
		"identifier", Obj{"system", SystemTsunaguID, "value", "urn:uuid:" + r.ID},
		"status", status,
		"type", concept(title, codings...),
		"subject", b.patientRef(),
		"encounter", b.ref("Encounter", enc),
		"date", b.dateTime(r.OccurredAt),
		"author", Arr{b.practitionerRef(r.AuthorID)},
		"title", title,
		"section", secs)
}

// observationValueText is the value of an observation as its composition
// lists it.
func observationValueText(o Obj) string {
	q := func(v any) string {
		if qo, ok := v.(Obj); ok {
			return formatNumber(qo.Get("value")) + " " + str(qo.Get("unit"))
		}
		return ""
	}
	if v := o.Get("valueQuantity"); v != nil {
		return q(v)
	}
	if v, ok := o.Get("valueCodeableConcept").(Obj); ok {
		return str(v.Get("text"))
	}
	if v := o.Get("valueInteger"); v != nil {
		return formatNumber(v)
	}
	if cs, ok := o.Get("component").(Arr); ok {
		var parts []string
		for _, c := range cs {
			if co, ok := c.(Obj); ok {
				if qo, ok := co.Get("valueQuantity").(Obj); ok {
					parts = append(parts, formatNumber(qo.Get("value")))
				}
			}
		}
		return strings.Join(parts, "/") + " mmHg"
	}
	return ""
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func formatNumber(v any) string {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}
