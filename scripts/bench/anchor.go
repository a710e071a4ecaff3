package main

import (
	"fmt"
	"strings"
)

// dataSetSpec is what the bench fills before its runs, and the budgets
// its figures are held to (docs/BUDGETS.md).
type dataSetSpec struct {
	patients, perPatient int
	others, roles        []string // team members besides the creating doctor and demo.nurse
	text                 func(i int) string
	perText              bool // the records carry text(i), not recordMutation's short one
	budgets              struct{ writes, timeline, pull string }
}

// dataSet is the small set (the quick default) or the anchor's: the data
// set of the side-by-side comparison with a Go + SQLite backend
// (PocketBase: 100,000 records of 500 bytes), 500 patients with teams of 6,
// on which Tsunagu must lead it clearly: writes 1.5× its 1,240/s,
// the timeline 2×, a 500-change pull 10×.
func dataSet(name string) (dataSetSpec, error) {
	var d dataSetSpec
	switch name {
	case "small":
		d.patients, d.perPatient = 50, 200
		d.text = func(int) string { return "バイタル安定。食事摂取良好。" }
		d.budgets.writes, d.budgets.timeline, d.budgets.pull = "≥ 1,800/s", "≥ 670/s", "≥ 440/s, p50 < 20 ms"
	case "anchor":
		d.patients, d.perPatient = 500, 200
		d.others = []string{"demo.nurse2", "demo.pharmacist", "demo.caremanager", "demo.doctor2"}
		d.roles = []string{"visiting_nurse", "visiting_pharmacist", "care_manager", "deputy_physician"}
		d.text, d.perText = anchorText, true
		d.budgets.writes, d.budgets.timeline, d.budgets.pull = "≥ 1,900/s, p50 < 15 ms", "≥ 810/s, p50 < 15 ms", "≥ 570/s, p50 < 15 ms"
	default:
		return d, fmt.Errorf("-set: unknown data set %q (small, anchor)", name)
	}
	return d, nil
}

// anchorText is record i's text of 500 bytes (UTF-8; 166 characters of
// the search bench's phrases, a different run of them for each i, and one
// record in 97 the rare phrase, so the search runs find what they look
// for at the anchor's size too).
func anchorText(i int) string {
	var b strings.Builder
	if i%97 == 7 {
		b.WriteString("仙骨部に褥瘡、発赤あり。")
	}
	for k := 0; b.Len() < 500; k++ {
		p := searchPhrases[(i/(k+1)+k*7)%len(searchPhrases)]
		b.WriteString(p)
	}
	r := []rune(b.String())
	for len(string(r)) > 500 {
		r = r[:len(r)-1]
	}
	s := string(r)
	for len(s)+3 <= 500 {
		s += "。"
	}
	return s + strings.Repeat(" ", 500-len(s))
}

// mutation is a record.create of the set's text.
func (d dataSetSpec) mutation(seq int64, patientID string) map[string]any {
	m := recordMutation(seq, patientID)
	if d.perText {
		m["args"].(map[string]any)["text"] = d.text(int(seq))
	}
	return m
}
