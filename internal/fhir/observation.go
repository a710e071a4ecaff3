package fhir

import (
	"math"

	"tsunagu/internal/care"
)

// observations makes one Observation per vital sign of a record (R4
// vital-signs profile: category vital-signs, LOINC code, UCUM unit):
// blood pressure as one panel with its systolic and diastolic components,
// SpO2 with the generic and the pulse-oximetry code, the pain score as a
// survey score, and the Japan Coma Scale as a coded exam observation of
// its own. Each has an id derived from the record's and the sign's. They
// are returned, not added: the caller places them after the record's
// composition.
func (b *builder) observations(r Record, enc string) []Resource {
	v := r.Content.Vitals
	if v == nil {
		return nil
	}
	status := "final"
	if r.Version > 1 {
		status = "amended"
	}
	if r.Status == care.RecordEnteredInError {
		status = "entered-in-error"
	}
	var out []Resource
	obs := func(key, category, categoryDisplay string, code Obj, value ...any) {
		id := DerivedID(r.ID, "vitals", key)
		body := Obj{"resourceType", "Observation", "id", id,
			"status", status,
			"category", Arr{concept("", coding(SystemObsCategory, category, categoryDisplay))},
			"code", code,
			"subject", b.patientRef(),
			"encounter", b.ref("Encounter", enc),
			"effectiveDateTime", b.dateTime(r.OccurredAt),
			"issued", b.dateTime(r.CreatedAt),
			"performer", Arr{b.practitionerRef(r.AuthorID)}}
		out = append(out, Resource{Type: "Observation", ID: id, Body: append(body, value...)})
	}
	vital := func(c VitalCode, value float64) {
		obs(c.Key, "vital-signs", "Vital Signs", concept(labelJa(c.Key), coding(SystemLOINC, c.LOINC, c.Display)),
			"valueQuantity", quantity(value, c))
	}
	if v.TemperatureC != nil {
		vital(VitalTemperature, round1(*v.TemperatureC))
	}
	if v.BPSystolic != nil || v.BPDiastolic != nil {
		var comps Arr
		for _, x := range []struct {
			c VitalCode
			v *int
		}{{VitalSystolic, v.BPSystolic}, {VitalDiastolic, v.BPDiastolic}} {
			if x.v != nil {
				comps = append(comps, Obj{"code", concept(labelJa(x.c.Key), coding(SystemLOINC, x.c.LOINC, x.c.Display)),
					"valueQuantity", quantity(float64(*x.v), x.c)})
			}
		}
		obs("bp", "vital-signs", "Vital Signs", concept("血圧", coding(SystemLOINC, VitalBPPanel.LOINC, VitalBPPanel.Display)),
			"component", comps)
	}
	if v.Pulse != nil {
		vital(VitalPulse, float64(*v.Pulse))
	}
	if v.SpO2 != nil {
		obs(VitalSpO2.Key, "vital-signs", "Vital Signs", concept(labelJa(VitalSpO2.Key),
			coding(SystemLOINC, VitalSpO2.LOINC, VitalSpO2.Display), coding(SystemLOINC, VitalSpO2Pulse.LOINC, VitalSpO2Pulse.Display)),
			"valueQuantity", quantity(float64(*v.SpO2), VitalSpO2))
	}
	if v.Respiration != nil {
		vital(VitalRespiration, float64(*v.Respiration))
	}
	if v.WeightKg != nil {
		vital(VitalWeight, round1(*v.WeightKg))
	}
	if v.Pain != nil {
		obs(VitalPain.Key, "survey", "Survey", concept(labelJa(VitalPain.Key), coding(SystemLOINC, VitalPain.LOINC, VitalPain.Display)),
			"valueQuantity", quantity(float64(*v.Pain), VitalPain))
	}
	if v.Consciousness != nil && care.Valid(care.JCS, *v.Consciousness) {
		jcs := *v.Consciousness
		obs("consciousness", "exam", "Exam", concept("意識レベル (JCS)", coding(SystemObservation, "jcs", "Japan Coma Scale")),
			"valueCodeableConcept", concept("JCS "+jcs, coding(SystemJCS, jcs, "JCS "+jcs)))
	}
	return out
}

// quantity is a UCUM quantity; a whole number is written as an integer
// (120, not 120.0 or 1.2e+02), as it was measured.
func quantity(value float64, c VitalCode) Obj {
	var v any = value
	if value == math.Trunc(value) {
		v = int(value)
	}
	return Obj{"value", v, "unit", c.UnitText, "system", SystemUCUM, "code", c.Unit}
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// labelJa is the Japanese name of a vital sign, from the one vital-sign
// table (care.VitalRanges).
func labelJa(key string) string {
	for _, r := range care.VitalRanges {
		if r.Key == key {
			return r.LabelJa
		}
	}
	return key
}
