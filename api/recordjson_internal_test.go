package api

import (
	"bytes"
	"database/sql"
	"math/rand/v2"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// TestRecordJSONIsEncodingJSON: appendRecordJSON writes the bytes
// encoding/json writes for RecordOut (HTML escaping off), for records of
// every shape: each optional part present or not, times with and without
// fractions and zones, text that needs escaping, and what is not UTF-8.
func TestRecordJSONIsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"", "バイタル安定。", "a", `"q"`, `\`, "<b>&amp;</b>", "\t", "\n", "\r", "\b", "\f", "\x01", "\x1f",
		"\x7f", "\u2028", "\u2029", "😀", "\xff", "\xe3\x81", "半角ｶﾅ", " ", "/"}
	word := func() string {
		s := ""
		for n := rng.IntN(4); n > 0; n-- {
			s += pieces[rng.IntN(len(pieces))]
		}
		return s
	}
	zones := []*time.Location{time.UTC, time.FixedZone("JST", 9*3600), time.FixedZone("", -90*60)}
	when := func() time.Time {
		t := time.Date(2020+rng.IntN(8), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), 0, zones[rng.IntN(len(zones))])
		switch rng.IntN(3) {
		case 1:
			t = t.Add(time.Duration(rng.IntN(1e9)))
		case 2:
			t = t.Add(time.Duration(rng.IntN(1e6)) * time.Microsecond)
		}
		return t
	}
	for i := 0; i < 4000; i++ {
		r := store.Record{ID: word() + "r", PatientID: "p", Kind: care.KindNursingVisit, AuthorID: word(), AuthorFacilityID: "f",
			AuthorProfession: word(), OccurredAt: when(), CreatedAt: when(), CurrentVersion: rng.Int64N(5)}
		if rng.IntN(2) == 0 {
			r.VisitID = sql.NullString{String: word(), Valid: true}
		}
		if rng.IntN(4) == 0 {
			r.SourceMessageID = sql.NullString{String: word(), Valid: true}
		}
		v := store.RecordVersion{Version: r.CurrentVersion, Status: word(), StaleParent: rng.IntN(2) == 0, EnteredBy: word(), CreatedAt: when()}
		if rng.IntN(3) == 0 {
			v.ConfirmedBy, v.ConfirmedAt = word(), when()
		}
		c := &v.Content
		c.Text, c.NextVisitOn, c.CareNotes, c.PlanChanged = word(), word(), word(), rng.IntN(2) == 0
		switch rng.IntN(4) {
		case 0:
			c.AttachmentIDs = nil
		case 1:
			c.AttachmentIDs = []string{}
		default:
			c.AttachmentIDs = []string{word(), word()}
		}
		switch rng.IntN(6) {
		case 0:
			c.Fields.Observations, c.Fields.Plan = word(), word()
		case 1:
			n := rng.IntN(30)
			c.Fields.DesignR = &n
		case 2:
			c.Fields.DrugsChecked = []care.Drug{}
		case 3:
			c.Fields.DrugsChecked = []care.Drug{{Name: word(), Note: word()}}
			c.Fields.FlagToDoctor = true
		}
		if rng.IntN(3) == 0 {
			spo2, temp := 80+rng.IntN(20), 35+rng.Float64()*4
			c.Vitals = &care.Vitals{SpO2: &spo2, TemperatureC: &temp}
		}
		out := recordOut(r, v, rng.IntN(3), rng.IntN(2) == 0)
		if rng.IntN(5) == 0 {
			out.Flags = nil
		}
		want := appendJSONValue(nil, out)
		if got := appendRecordJSON(nil, &out); !bytes.Equal(got, want) {
			t.Fatalf("record %d:\n got %s\nwant %s", i, got, want)
		}
	}
}
