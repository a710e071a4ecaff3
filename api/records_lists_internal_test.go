package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// TestTimelineJSONIsEncodingJSON: the timeline's answer, written from
// records encoded once (the first page) and then from the kept JSON (the
// second, as a page whose records were skipped), is what encoding/json
// writes for TimelineOutputBody, with and without a next cursor.
func TestTimelineJSONIsEncodingJSON(t *testing.T) {
	s := &Server{encoded: newEncodedRecords()}
	at := time.Date(2026, 12, 5, 8, 30, 0, 0, time.UTC)
	it := store.TimelineItem{Record: store.Record{ID: "r1", PatientID: "p1", Kind: care.KindNursingVisit, AuthorID: "u1",
		AuthorFacilityID: "f1", AuthorProfession: "nurse", OccurredAt: at, CreatedAt: at, CurrentVersion: 1},
		Current: store.RecordVersion{Version: 1, Status: "final", EnteredBy: "u1", CreatedAt: at,
			Content: care.RecordContent{Text: "「架空」 <b>&</b> \"引用\" \\\n\u2028"}}, ReadCount: 2, ReadByMe: true}
	for _, next := range []string{"", "dDEuMTc2NDkyMzQwMDAwMDAwMC5yMQ"} {
		for round := 0; round < 2; round++ {
			var r encodedRecord
			if round == 0 {
				r = s.pullRecord(it)
			} else {
				head, ok := s.encoded.Get(it.Key())
				if !ok {
					t.Fatal("the record's JSON was not kept")
				}
				r = encodedRecord{head: head, readCount: it.ReadCount, readByMe: it.ReadByMe}
			}
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(TimelineOutputBody{Records: []RecordOut{recordOut(it.Record, it.Current, it.ReadCount, it.ReadByMe)}, Next: next}); err != nil {
				t.Fatal(err)
			}
			if got := appendTimelineJSON(nil, []encodedRecord{r}, next); !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("round %d: timeline JSON differs from encoding/json:\n got %s\nwant %s", round, got, want.Bytes())
			}
		}
	}
	var want bytes.Buffer
	_ = json.NewEncoder(&want).Encode(TimelineOutputBody{Records: []RecordOut{}})
	if got := appendTimelineJSON(nil, nil, ""); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("an empty page: %s, want %s", got, want.Bytes())
	}
}
