package api

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// TestPullJSONIsEncodingJSON writes a pull answer with the pull's own
// encoder and with encoding/json (as huma would, HTML escaping off) and
// wants the same bytes: records from the cache with several read states,
// confirmed and not, text that needs escaping, other entities, a delete
// and resets. Every record must take the cached path.
func TestPullJSONIsEncodingJSON(t *testing.T) {
	s := &Server{encoded: newEncodedRecords()}
	at := time.Date(2026, 11, 21, 9, 30, 0, 123456000, time.UTC)
	pulse, temp := 88, 37.4
	items := []store.TimelineItem{
		{Record: store.Record{ID: "r1", PatientID: "p1", Kind: care.KindNursingVisit, AuthorID: "u1", AuthorFacilityID: "f1", AuthorProfession: "nurse",
			VisitID: sql.NullString{String: "v1", Valid: true}, OccurredAt: at, CreatedAt: at, CurrentVersion: 2},
			Current: store.RecordVersion{Version: 2, ParentVersion: 1, StaleParent: true, Status: "final", EnteredBy: "u2", CreatedAt: at.Add(time.Hour),
				Content: care.RecordContent{Text: "「テスト」 <b>&</b> \"quoted\" \\ back\nline\u2028sep", Vitals: &care.Vitals{Pulse: &pulse, TemperatureC: &temp},
					AttachmentIDs: []string{"a1", "a2"}, NextVisitOn: "2026-11-28", PlanChanged: true}},
			ReadCount: 3, ReadByMe: true},
		{Record: store.Record{ID: "r2", PatientID: "p1", Kind: care.KindMedication, AuthorID: "u1", AuthorFacilityID: "f1", AuthorProfession: "pharmacist",
			OccurredAt: at, CreatedAt: at, CurrentVersion: 1},
			Current: store.RecordVersion{Version: 1, Status: "final", EnteredBy: "u3", ConfirmedBy: "u1", ConfirmedAt: at.Add(2 * time.Hour), CreatedAt: at,
				Content: care.RecordContent{Fields: care.RecordFields{Adherence: "unknown"}}}},
	}
	mine := &PullOutputBody{Cursor: "c.1-x_y", HasMore: true, Resets: []Reset{{PatientID: "p9", Action: "purge"}}}
	theirs := &PullOutputBody{Cursor: mine.Cursor, HasMore: true, Resets: mine.Resets}
	// Twice: the second time from the cache, with another read state.
	for round := 0; round < 2; round++ {
		for _, it := range items {
			it.ReadCount += round
			r := s.pullRecord(it)
			if r.head == nil {
				t.Fatal("a record was encoded in full: RecordOut no longer ends with read_count, read_by_me")
			}
			mine.Changes = append(mine.Changes, ChangeOut{Entity: "record", Op: opUpsert, ID: it.ID, PatientID: it.PatientID, Data: r})
			theirs.Changes = append(theirs.Changes, ChangeOut{Entity: "record", Op: opUpsert, ID: it.ID, PatientID: it.PatientID,
				Data: recordOut(it.Record, it.Current, it.ReadCount, it.ReadByMe)})
		}
	}
	for _, c := range []ChangeOut{
		{Entity: "team", Op: opUpsert, ID: "p1", PatientID: "p1", Data: map[string]any{"patient_id": "p1", "members": []string{"<u1>"}}},
		{Entity: "visit", Op: opDelete, ID: "v\"1", PatientID: "p1"},
	} {
		mine.Changes = append(mine.Changes, c)
		theirs.Changes = append(theirs.Changes, c)
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(theirs); err != nil {
		t.Fatal(err)
	}
	if got := appendPullJSON(nil, mine); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("pull JSON differs from encoding/json:\n got %s\nwant %s", got, want.Bytes())
	}
}
