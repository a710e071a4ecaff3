package store

import (
	"encoding/json"
	"unicode/utf8"

	"tsunagu/internal/care"
)

// decodeRecordBody decodes a version's body column into b. A body is
// written by json.Marshal(recordBody) (toRow): an object of strings, one
// bool and the kind's fields, most of them strings too. Those are read
// here by hand, since on a page of records not read before decoding the
// bodies with encoding/json was a fifth of the read; anything else (a
// number, a list of drugs, an escaped string, a key spelled otherwise)
// is left to encoding/json, so the result is always what json.Unmarshal
// gives (TestDecodeRecordBodyIsJSONUnmarshal).
func decodeRecordBody(body string, b *recordBody) error {
	var fast recordBody
	if decodeBodyFast(body, &fast) {
		*b = fast
		return nil
	}
	return json.Unmarshal([]byte(body), b)
}

// decodeBodyFast reads body into b if it is an object of the simple
// shape json.Marshal writes, reporting false (b then undefined) at the
// first thing it does not read itself.
func decodeBodyFast(s string, b *recordBody) bool {
	p := bodyParser{s: s}
	if !p.object(func(key string) bool {
		switch key {
		case "fields":
			return p.object(func(key string) bool {
				dst := stringField(&b.Fields, key)
				if dst == nil {
					return false
				}
				v, ok := p.str()
				*dst = v
				return ok
			})
		case "plan_changed":
			v, ok := p.boolean()
			b.PlanChanged = v
			return ok
		}
		var dst *string
		switch key {
		case "text":
			dst = &b.Text
		case "next_visit_on":
			dst = &b.NextVisitOn
		case "care_notes":
			dst = &b.CareNotes
		default:
			return false
		}
		v, ok := p.str()
		*dst = v
		return ok
	}) {
		return false
	}
	return p.i == len(p.s)
}

// stringField is the string field of f named key in JSON, or nil.
func stringField(f *care.RecordFields, key string) *string {
	switch key {
	case "observations":
		return &f.Observations
	case "care_given":
		return &f.CareGiven
	case "plan":
		return &f.Plan
	case "wound":
		return &f.Wound
	case "excretion":
		return &f.Excretion
	case "intake":
		return &f.Intake
	case "note":
		return &f.Note
	case "findings":
		return &f.Findings
	case "assessment":
		return &f.Assessment
	case "instruction":
		return &f.Instruction
	case "instruction_valid_until":
		return &f.InstructionValidUntil
	case "prescription_changes":
		return &f.PrescriptionChanges
	case "adherence":
		return &f.Adherence
	case "issues":
		return &f.Issues
	case "side_effects":
		return &f.SideEffects
	case "report_to_doctor":
		return &f.ReportToDoctor
	case "coordination":
		return &f.Coordination
	case "plan_change":
		return &f.PlanChange
	case "service_changes":
		return &f.ServiceChanges
	case "conference":
		return &f.Conference
	case "conference_on":
		return &f.ConferenceOn
	case "title":
		return &f.Title
	case "document_type":
		return &f.DocumentType
	}
	return nil
}

// bodyParser reads the compact JSON json.Marshal writes: no white space.
type bodyParser struct {
	s string
	i int
}

// object reads {"key":value,...}, calling member at each value.
func (p *bodyParser) object(member func(key string) bool) bool {
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return false
	}
	p.i++
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return true
	}
	for {
		key, ok := p.str()
		if !ok || p.i >= len(p.s) || p.s[p.i] != ':' {
			return false
		}
		p.i++
		if !member(key) || p.i >= len(p.s) {
			return false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string without escapes: its bytes are its value.
func (p *bodyParser) str() (string, bool) {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", false
	}
	start := p.i + 1
	for j := start; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '"':
			v := p.s[start:j]
			if !utf8.ValidString(v) {
				return "", false
			}
			p.i = j + 1
			return v, true
		case c == '\\' || c < 0x20:
			return "", false
		}
	}
	return "", false
}

func (p *bodyParser) boolean() (bool, bool) {
	switch {
	case len(p.s)-p.i >= 4 && p.s[p.i:p.i+4] == "true":
		p.i += 4
		return true, true
	case len(p.s)-p.i >= 5 && p.s[p.i:p.i+5] == "false":
		p.i += 5
		return false, true
	}
	return false, false
}
