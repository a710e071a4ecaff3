package api

import (
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendRecordJSON appends out as encoding/json (HTML escaping off, as
// huma writes) encodes RecordOut: field by field, in the struct's order,
// with its omitempty rules. A cold timeline or pull page encodes a
// hundred records or more, and doing it by reflection was a tenth of the
// page's CPU. The kind's fields, vitals, drugs and flags, which few
// records carry, still go through encoding/json one by one.
// TestRecordJSONIsEncodingJSON holds the two together.
func appendRecordJSON(b []byte, out *RecordOut) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONText(b, out.ID)
	b = append(b, `,"patient_id":`...)
	b = appendJSONText(b, out.PatientID)
	b = append(b, `,"kind":`...)
	b = appendJSONText(b, out.Kind)
	b = append(b, `,"occurred_at":`...)
	b = appendJSONTime(b, out.OccurredAt)
	if out.VisitID != "" {
		b = append(b, `,"visit_id":`...)
		b = appendJSONText(b, out.VisitID)
	}
	b = append(b, `,"author_id":`...)
	b = appendJSONText(b, out.AuthorID)
	b = append(b, `,"author_facility_id":`...)
	b = appendJSONText(b, out.AuthorFacilityID)
	b = append(b, `,"author_profession":`...)
	b = appendJSONText(b, out.AuthorProfession)
	b = append(b, `,"created_at":`...)
	b = appendJSONTime(b, out.CreatedAt)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, out.Version, 10)
	b = append(b, `,"status":`...)
	b = appendJSONText(b, out.Status)
	b = append(b, `,"stale_parent":`...)
	b = strconv.AppendBool(b, out.StaleParent)
	b = append(b, `,"updated_at":`...)
	b = appendJSONTime(b, out.UpdatedAt)
	b = append(b, `,"entered_by":`...)
	b = appendJSONText(b, out.EnteredBy)
	if out.ConfirmedBy != "" {
		b = append(b, `,"confirmed_by":`...)
		b = appendJSONText(b, out.ConfirmedBy)
	}
	if out.ConfirmedAt != nil {
		b = append(b, `,"confirmed_at":`...)
		b = appendJSONTime(b, *out.ConfirmedAt)
	}
	b = append(b, `,"awaiting_confirmation":`...)
	b = strconv.AppendBool(b, out.AwaitingConfirmation)
	if out.SourceMessageID != "" {
		b = append(b, `,"source_message_id":`...)
		b = appendJSONText(b, out.SourceMessageID)
	}
	c := &out.RecordContent
	if c.Text != "" {
		b = append(b, `,"text":`...)
		b = appendJSONText(b, c.Text)
	}
	// A struct is never empty to encoding/json: "fields" is always there.
	// A zero one has nothing to write; any other (a list of no drugs
	// included) is left to encoding/json.
	b = append(b, `,"fields":`...)
	if reflect.ValueOf(&c.Fields).Elem().IsZero() {
		b = append(b, `{}`...)
	} else {
		b = appendJSONValue(b, c.Fields)
	}
	if c.Vitals != nil {
		b = append(b, `,"vitals":`...)
		b = appendJSONValue(b, c.Vitals)
	}
	if len(c.AttachmentIDs) > 0 {
		b = append(b, `,"attachment_ids":[`...)
		for i, id := range c.AttachmentIDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONText(b, id)
		}
		b = append(b, ']')
	}
	if c.NextVisitOn != "" {
		b = append(b, `,"next_visit_on":`...)
		b = appendJSONText(b, c.NextVisitOn)
	}
	if c.PlanChanged {
		b = append(b, `,"plan_changed":true`...)
	}
	if c.CareNotes != "" {
		b = append(b, `,"care_notes":`...)
		b = appendJSONText(b, c.CareNotes)
	}
	b = append(b, `,"flags":`...)
	switch {
	case out.Flags == nil:
		b = append(b, `null`...)
	case len(out.Flags) == 0:
		b = append(b, `[]`...)
	default:
		b = appendJSONValue(b, out.Flags)
	}
	b = append(b, `,"read_count":`...)
	b = strconv.AppendInt(b, int64(out.ReadCount), 10)
	b = append(b, `,"read_by_me":`...)
	b = strconv.AppendBool(b, out.ReadByMe)
	return append(b, '}')
}

// appendJSONTime appends t as time.Time's MarshalJSON does; a time it
// would refuse (a year outside 0–9999) goes to encoding/json, which
// panics in appendJSONValue as it did before.
func appendJSONTime(b []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		return appendJSONValue(b, t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONText appends s as a JSON string, as encoding/json's
// appendString does with HTML escaping off: quotes, backslashes and
// control characters escaped, bytes that are not UTF-8 as U+FFFD, and
// U+2028 and U+2029 escaped (JavaScript reads them as line ends).
func appendJSONText(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
