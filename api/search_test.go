package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

type searchPage struct {
	Records []struct {
		ID        string `json:"id"`
		PatientID string `json:"patient_id"`
		Kind      string `json:"kind"`
		Snippet   []struct {
			Text string `json:"text"`
			Hit  bool   `json:"hit"`
		} `json:"snippet"`
	} `json:"records"`
	Next string `json:"next"`
}

func (p searchPage) ids() []string {
	var out []string
	for _, r := range p.Records {
		out = append(out, r.ID)
	}
	return out
}

func search(t testing.TB, c *client, q string, extra string) searchPage {
	t.Helper()
	var p searchPage
	c.must(200, "GET", "/api/v1/search/records?q="+url.QueryEscape(q)+extra, nil).json(t, &p)
	return p
}

// TestSearchRecords: the nurse finds her nursing record by a word of any
// of its fields, typed in half-width kana too, in the patient and across
// her patients; the care worker on the same team finds the shared note
// but never the chart record; an amendment replaces what is found; pages
// follow the cursor; the audit holds counts and never the query; bad
// queries are 422 naming q, an unreachable patient 404.
func TestSearchRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		at := h.clock.Now().Add(-2 * time.Hour)
		chart := newID()
		r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": chart, "kind": "nursing_visit", "occurred_at": at,
			"fields": map[string]any{"wound": "仙骨部に発赤あり、ガーゼ交換", "observations": "表情穏やか"}})
		note := newID()
		r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": note, "kind": "note", "occurred_at": at.Add(time.Minute),
			"text": "ガーゼの在庫が少ないです"})

		for _, q := range []string{"発赤", "ｶﾞｰｾﾞ交換", "仙骨部 ガーゼ", "穏やか"} {
			if got := search(t, r.nurseC, q, "").ids(); len(got) != 1 || got[0] != chart {
				t.Errorf("nurse, %q: %v, want the nursing record", q, got)
			}
			if got := search(t, r.nurseC, q, "&patient_id="+r.patientID).ids(); len(got) != 1 || got[0] != chart {
				t.Errorf("nurse in the patient, %q: %v", q, got)
			}
			if got := search(t, r.helperC, q, "").ids(); len(got) != 0 {
				t.Errorf("care worker, %q: found %v (a chart record)", q, got)
			}
		}
		p := search(t, r.nurseC, "ガーゼ", "")
		if got := p.ids(); len(got) != 2 || got[0] != note || got[1] != chart {
			t.Errorf("ガーゼ: %v, want the note then the nursing record", got)
		}
		if s := p.Records[1].Snippet; len(s) < 2 || !strings.Contains(s[0].Text+s[1].Text, "仙骨部に発赤あり、") {
			t.Errorf("snippet %+v", s)
		} else if !hasHit(p.Records[1].Snippet, "ガーゼ") {
			t.Errorf("snippet does not mark the word: %+v", s)
		}
		if got := search(t, r.helperC, "ガーゼ", "").ids(); len(got) != 1 || got[0] != note {
			t.Errorf("care worker, ガーゼ: %v, want the shared note only", got)
		}
		if got := search(t, r.nurseC, "発赤 在庫", "").ids(); len(got) != 0 {
			t.Errorf("every word must be in one record: %v", got)
		}

		// an amendment replaces the indexed text: the old words are gone
		r.nurseC.must(201, "POST", "/api/v1/records/"+chart+"/amendments", map[string]any{"reason": "訂正", "base_version": 1,
			"fields": map[string]any{"wound": "褥瘡なし", "observations": "表情穏やか"}})
		if got := search(t, r.nurseC, "発赤", "").ids(); len(got) != 0 {
			t.Errorf("the amended-away word is still found: %v", got)
		}
		if got := search(t, r.nurseC, "褥瘡", "").ids(); len(got) != 1 || got[0] != chart {
			t.Errorf("the amendment's word: %v", got)
		}

		// pages of one, newest first, by cursor
		var seen []string
		cursor := ""
		for i := 0; i < 5; i++ {
			p := search(t, r.nurseC, "ガーゼ", "&limit=1&cursor="+url.QueryEscape(cursor))
			seen = append(seen, p.ids()...)
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		if len(seen) != 1 || seen[0] != note { // the nursing record no longer says ガーゼ
			t.Errorf("pages: %v", seen)
		}
		r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": newID(), "kind": "note", "occurred_at": at.Add(-time.Hour), "text": "ガーゼ追加"})
		seen, cursor = nil, ""
		for i := 0; i < 5; i++ {
			p := search(t, r.nurseC, "ガーゼ", "&limit=1&cursor="+url.QueryEscape(cursor))
			seen = append(seen, p.ids()...)
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		if len(seen) != 2 || seen[0] != note {
			t.Errorf("two pages of one: %v", seen)
		}

		// the audit says how many, never what
		var details []string
		err := h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Select(context.Background(), &details, `SELECT detail FROM audit_event WHERE action = 'record.search' AND actor_id = ?`, r.nurse.ID)
		})
		if err != nil || len(details) == 0 {
			t.Fatalf("no record.search audit events: %v", err)
		}
		for _, d := range details {
			if !strings.Contains(d, "results=") || strings.ContainsAny(d, "ガーゼ発赤褥瘡穏") {
				t.Errorf("audit detail %q", d)
			}
		}

		for _, q := range []string{"", "発", "発赤 a", strings.Repeat("あ", 101)} {
			res := r.nurseC.do("GET", "/api/v1/search/records?q="+url.QueryEscape(q), nil)
			if res.status != 422 || !strings.Contains(res.body, `"query.q"`) {
				t.Errorf("q=%q: %d %s", q, res.status, res.body)
			}
			if q != "" && strings.Contains(res.body, q) {
				t.Errorf("q=%q: the problem repeats the query", q)
			}
		}
		if res := r.nurseC.do("GET", "/api/v1/search/records?q=ガーゼ&cursor=bad", nil); res.status != 422 {
			t.Errorf("bad cursor: %d", res.status)
		}
		outsider := h.signIn(r.outsider)
		if res := outsider.do("GET", "/api/v1/search/records?q=ガーゼ&patient_id="+r.patientID, nil); res.status != 404 {
			t.Errorf("outsider in the patient: %d", res.status)
		}
		if got := search(t, outsider, "ガーゼ", "").ids(); len(got) != 0 {
			t.Errorf("outsider across patients: %v", got)
		}
	})
}

func hasHit(parts []struct {
	Text string `json:"text"`
	Hit  bool   `json:"hit"`
}, w string) bool {
	for _, p := range parts {
		if p.Hit && p.Text == w {
			return true
		}
	}
	return false
}

// TestSearchPlanUsesTheGramIndex holds the search to its index: the plans
// of a page, in one patient and across patients, ask the gram index for
// each patient's candidates (FTS5 on SQLite, GIN on PostgreSQL), look
// record and record_search up by key, and walk a patient's timeline index
// where the words are common in it, scanning no table, on both engines
// (with 300 records indexed; on PostgreSQL with table scans priced out, as
// at this size it would rather hash the tables whole).
func TestSearchPlanUsesTheGramIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		mustRecords(t, h, r, 300)
		ctx := context.Background()

		v := care.Viewer{UserID: r.nurse.ID, FacilityID: r.station, Profession: care.ProfNurse}
		before := &store.TimelineKey{OccurredAt: h.clock.Now(), ID: newID()}
		for _, c := range []struct {
			name string
			q    store.SearchQuery
			want []string // on SQLite
		}{
			// 定期訪問 is in all 300 of the patient's records: its timeline is walked
			{"common, one patient", store.SearchQuery{Viewer: v, Words: []string{"定期訪問"}, ChartPatients: []string{r.patientID}, Limit: 21},
				[]string{"record_gram_fts VIRTUAL TABLE INDEX", "record_timeline"}},
			// 150: one record (定期訪問 150) holds both 15 and 50: its candidate is looked up by key
			{"rare, one patient", store.SearchQuery{Viewer: v, Words: []string{"150"}, ChartPatients: []string{r.patientID}, Limit: 21},
				[]string{"record_gram_fts VIRTUAL TABLE INDEX", "SEARCH s USING INTEGER PRIMARY KEY"}},
			{"common, across", store.SearchQuery{Viewer: v, Words: []string{"定期訪問"}, ChartPatients: []string{r.patientID, newID()}, SharedPatients: []string{newID()}, Limit: 21, Before: before},
				[]string{"record_gram_fts VIRTUAL TABLE INDEX", "record_timeline"}},
			{"rare, across", store.SearchQuery{Viewer: v, Words: []string{"150", "定期"}, ChartPatients: []string{r.patientID, newID()}, SharedPatients: []string{newID()}, Limit: 21, Before: before},
				[]string{"record_gram_fts VIRTUAL TABLE INDEX", "SEARCH s USING INTEGER PRIMARY KEY"}},
		} {
			var plan []string
			if err := h.db.Read(ctx, func(tx *store.Tx) (err error) {
				if engine == store.Postgres {
					// 300 rows are cheaper to hash whole than to look up by
					// key; price table scans out to see the plan real data
					// gets.
					if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
						return err
					}
				}
				plan, err = tx.SearchPlan(ctx, c.q)
				return
			}); err != nil {
				t.Fatal(err)
			}
			all := strings.Join(plan, "\n")
			t.Logf("%s, %s:\n%s", engine, c.name, all)
			want := c.want
			if engine == store.Postgres {
				want = []string{"Bitmap Index Scan on record_search_grams"}
			}
			for _, w := range want {
				if !strings.Contains(all, w) {
					t.Errorf("%s: the plan does not use %s", c.name, w)
				}
			}
			for i, line := range plan {
				l := strings.TrimSpace(line)
				if strings.Contains(l, "Index Scan") && strings.Contains(l, " on record") && !strings.Contains(l, "Bitmap") &&
					(i+1 == len(plan) || !strings.HasPrefix(strings.TrimSpace(plan[i+1]), "Index Cond")) {
					t.Errorf("%s: a whole index walked: %s", c.name, l)
				}
				if strings.Contains(l, "Seq Scan on record") || strings.HasPrefix(l, "SCAN record") && !strings.Contains(l, "VIRTUAL TABLE INDEX") || strings.HasPrefix(l, "SCAN s") ||
					strings.HasPrefix(l, "SCAN r ") && !strings.Contains(all, "CO-ROUTINE r") {
					t.Errorf("%s: a table scan: %s", c.name, l)
				}
			}
		}
	})
}

// TestSearchFindsRecordsWrittenBeforeIt: a record from before migration 19
// (its index rows gone, its id queued as the migration queues every
// record) is found once the backlog is indexed, as Open does after
// migrating; the queue is then empty.
func TestSearchFindsRecordsWrittenBeforeIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		ctx := context.Background()
		if got := search(t, r.nurseC, "著変なし", "").ids(); len(got) != 1 {
			t.Fatalf("the region's record: %v", got)
		}
		if err := h.db.Write(ctx, func(tx *store.Tx) error {
			unindex := `DELETE FROM record_gram_fts`
			if engine == store.Postgres {
				unindex = `UPDATE record_search SET grams = '{}'`
			}
			for _, q := range []string{unindex, `DELETE FROM record_search`,
				`INSERT INTO record_search_backlog (record_id) SELECT id FROM record`} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := search(t, r.nurseC, "著変なし", "").ids(); len(got) != 0 {
			t.Fatalf("found without an index: %v", got)
		}
		if err := h.db.IndexBacklog(ctx); err != nil {
			t.Fatal(err)
		}
		if got := search(t, r.nurseC, "著変なし", "").ids(); len(got) != 1 || got[0] != r.recordID {
			t.Fatalf("after the backlog: %v", got)
		}
		var left int
		if err := h.db.Read(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &left, `SELECT COUNT(*) FROM record_search_backlog`) }); err != nil || left != 0 {
			t.Fatalf("backlog left: %d %v", left, err)
		}
	})
}
