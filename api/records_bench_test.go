package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// BenchmarkTimeline reads pages of 50 from the timeline of a patient with
// 10,000 records, through HTTP with session check, access decision and
// audit event: the newest page, and a page deep in the history by cursor.
//
//	go test ./api -run '^$' -bench Timeline -benchtime 200x
func BenchmarkTimeline(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			h := newHarness(b, engine)
			r := h.mustRegion()
			mustRecords(b, h, r, 10000)
			path := "/api/v1/patients/" + r.patientID + "/records?limit=50"
			var page struct {
				Records []struct {
					ID string `json:"id"`
				} `json:"records"`
				Next string `json:"next"`
			}
			cursor := ""
			for i := 0; i < 100; i++ { // 100 pages of 50: half way down
				res := r.doctorC.must(200, "GET", path+"&before="+url.QueryEscape(cursor), nil)
				if err := jsonUnmarshal(res.body, &page); err != nil || len(page.Records) != 50 {
					b.Fatalf("page %d: %v %d", i, err, len(page.Records))
				}
				cursor = page.Next
			}
			for _, bc := range []struct{ name, path string }{{"newest", path}, {"deep", path + "&before=" + url.QueryEscape(cursor)}} {
				b.Run(bc.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if res := r.doctorC.do("GET", bc.path, nil); res.status != 200 {
							b.Fatalf("%d %s", res.status, res.body)
						}
					}
				})
			}
		})
	}
}

// mustRecords inserts n nursing visits for the region's patient straight
// through the store, 1,000 to a transaction.
func mustRecords(b testing.TB, h *harness, r *region, n int) {
	b.Helper()
	ctx := context.Background()
	start := h.clock.Now().Add(-time.Duration(n) * time.Hour)
	temp := 36.8
	for done := 0; done < n; {
		err := h.db.Write(ctx, func(tx *store.Tx) error {
			for i := 0; i < 1000 && done < n; i, done = i+1, done+1 {
				id := newID()
				at := start.Add(time.Duration(done) * time.Hour)
				rec := store.Record{ID: id, PatientID: r.patientID, Kind: care.KindNursingVisit, Chart: true, AuthorID: r.nurse.ID,
					AuthorFacilityID: r.station, AuthorProfession: care.ProfNurse, OccurredAt: at, CreatedAt: at, RequestHash: id}
				v := store.RecordVersion{RecordID: id, Version: 1, Status: care.RecordFinal, EnteredBy: r.nurse.ID, CreatedAt: at,
					Content: care.RecordContent{Text: fmt.Sprint("定期訪問 ", done), Vitals: &care.Vitals{TemperatureC: &temp},
						Fields: care.RecordFields{Observations: "著変なし", CareGiven: "清拭、服薬確認", Plan: "継続"}, AttachmentIDs: []string{}}}
				if err := tx.CreateRecord(ctx, rec, v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
