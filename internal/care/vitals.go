package care

import (
	"strconv"
)

// VitalRange is one row of the vital-sign table: the values that are possible
// at all (Min–Max, validation) and the screening thresholds beyond which a
// possible value is flagged (Low, High). The same table is served to the app
// (GET /api/v1/vitals/ranges), which flags with it, so the server and every
// device agree on what is abnormal.
type VitalRange struct {
	Key      string   `json:"key" doc:"the vitals field, e.g. spo2"`
	Unit     string   `json:"unit" doc:"unit of the value, e.g. %, °C, mmHg"`
	Min      float64  `json:"min" doc:"lowest possible value; below is refused (422)"`
	Max      float64  `json:"max" doc:"highest possible value; above is refused (422)"`
	Step     float64  `json:"step" doc:"precision of the input: 1 for whole numbers, 0.1 for one decimal"`
	Low      *float64 `json:"low,omitempty" doc:"a value crossing it by low_rule is flagged low; absent: never flagged low"`
	High     *float64 `json:"high,omitempty" doc:"a value crossing it by high_rule is flagged high; absent: never flagged high"`
	LowRule  string   `json:"low_rule" doc:"< or <= (value against low); empty when there is no low threshold"`
	HighRule string   `json:"high_rule" doc:"> or >= (value against high); empty when there is no high threshold"`
	LabelJa  string   `json:"label_ja,omitempty" doc:"the Japanese name of the value"`
}

// ConsciousnessScale is the Japan Coma Scale the consciousness field takes:
// the codes in order of severity; every code but Alert is flagged high.
type ConsciousnessScale struct {
	Key      string   `json:"key" doc:"the vitals field: consciousness"`
	Codes    []string `json:"codes" doc:"the Japan Coma Scale codes, alert first"`
	Alert    string   `json:"alert" doc:"the code of an alert patient; any other code is flagged high"`
	HighRule string   `json:"high_rule" doc:"the rule as the flags state it"`
}

func th(x float64) *float64 { return &x }

// VitalRanges is the one table of vital signs, in the order of the Vitals
// fields. The thresholds are screening rules for adults at home, not
// diagnoses; Vitals.Validate and Vitals.Flags read nothing else.
var VitalRanges = []VitalRange{
	{Key: "temperature_c", Unit: "°C", Min: 30, Max: 45, Step: 0.1, Low: th(35), LowRule: "<", High: th(37.5), HighRule: ">=", LabelJa: "体温"},
	{Key: "bp_systolic", Unit: "mmHg", Min: 40, Max: 300, Step: 1, Low: th(90), LowRule: "<", High: th(160), HighRule: ">=", LabelJa: "収縮期血圧"},
	{Key: "bp_diastolic", Unit: "mmHg", Min: 20, Max: 200, Step: 1, LabelJa: "拡張期血圧"},
	{Key: "pulse", Unit: "/min", Min: 20, Max: 250, Step: 1, Low: th(50), LowRule: "<", High: th(100), HighRule: ">", LabelJa: "脈拍"},
	{Key: "spo2", Unit: "%", Min: 50, Max: 100, Step: 1, Low: th(93), LowRule: "<", LabelJa: "SpO2"},
	{Key: "respiration", Unit: "/min", Min: 4, Max: 80, Step: 1, Low: th(10), LowRule: "<", High: th(24), HighRule: ">", LabelJa: "呼吸数"},
	{Key: "weight_kg", Unit: "kg", Min: 1, Max: 300, Step: 0.1, LabelJa: "体重"},
	{Key: "pain", Unit: "NRS", Min: 0, Max: 10, Step: 1, High: th(7), HighRule: ">=", LabelJa: "痛み(NRS)"},
}

// JCS lists the Japan Coma Scale codes; "0" is alert.
var JCS = []string{"0", "I-1", "I-2", "I-3", "II-10", "II-20", "II-30", "III-100", "III-200", "III-300"}

// Consciousness is the scale of Vitals.Consciousness as the table serves it.
var Consciousness = ConsciousnessScale{Key: "consciousness", Codes: JCS, Alert: "0", HighRule: "JCS > 0"}

// Vitals are the structured measurements of a record. Every value is
// optional; a present one must be possible (VitalRanges).
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

// Value is the measurement of the table row key, if present.
func (v Vitals) Value(key string) (float64, bool) {
	f := func(x *float64) (float64, bool) {
		if x == nil {
			return 0, false
		}
		return *x, true
	}
	i := func(x *int) (float64, bool) {
		if x == nil {
			return 0, false
		}
		return float64(*x), true
	}
	switch key {
	case "temperature_c":
		return f(v.TemperatureC)
	case "bp_systolic":
		return i(v.BPSystolic)
	case "bp_diastolic":
		return i(v.BPDiastolic)
	case "pulse":
		return i(v.Pulse)
	case "spo2":
		return i(v.SpO2)
	case "respiration":
		return i(v.Respiration)
	case "weight_kg":
		return f(v.WeightKg)
	case "pain":
		return i(v.Pain)
	}
	return 0, false
}

// Empty reports whether no measurement is present.
func (v Vitals) Empty() bool {
	return v.TemperatureC == nil && v.BPSystolic == nil && v.BPDiastolic == nil && v.Pulse == nil && v.SpO2 == nil &&
		v.Respiration == nil && v.WeightKg == nil && v.Pain == nil && v.Consciousness == nil
}

// Validate returns a validation error naming the first impossible value
// ("vitals.spo2"): outside its row's Min–Max, a diastolic pressure not below
// the systolic one, or a consciousness code not of the scale.
func (v Vitals) Validate() error {
	for _, r := range VitalRanges {
		if x, ok := v.Value(r.Key); ok && (x < r.Min || x > r.Max) {
			return Invalid("vitals."+r.Key, "must be between %g and %g", r.Min, r.Max)
		}
	}
	if v.BPSystolic != nil && v.BPDiastolic != nil && *v.BPDiastolic >= *v.BPSystolic {
		return Invalid("vitals.bp_diastolic", "must be below the systolic pressure")
	}
	if v.Consciousness != nil && !Valid(Consciousness.Codes, *v.Consciousness) {
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

// Crosses reports whether x crosses threshold t by rule (<, <=, >, >=).
func Crosses(x float64, rule string, t float64) bool {
	switch rule {
	case "<":
		return x < t
	case "<=":
		return x <= t
	case ">":
		return x > t
	case ">=":
		return x >= t
	}
	return false
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// Flags lists the abnormal values of v in table order, by the thresholds of
// VitalRanges and the consciousness scale.
func (v Vitals) Flags() []Flag {
	fs := []Flag{}
	for _, r := range VitalRanges {
		x, ok := v.Value(r.Key)
		if !ok {
			continue
		}
		switch {
		case r.High != nil && Crosses(x, r.HighRule, *r.High):
			fs = append(fs, Flag{Field: "vitals." + r.Key, Level: "high", Value: num(x), Threshold: r.HighRule + " " + num(*r.High)})
		case r.Low != nil && Crosses(x, r.LowRule, *r.Low):
			fs = append(fs, Flag{Field: "vitals." + r.Key, Level: "low", Value: num(x), Threshold: r.LowRule + " " + num(*r.Low)})
		}
	}
	if c := v.Consciousness; c != nil && *c != Consciousness.Alert {
		fs = append(fs, Flag{Field: "vitals.consciousness", Level: "high", Value: *c, Threshold: Consciousness.HighRule})
	}
	return fs
}
