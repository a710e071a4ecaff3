package api_test

// The security review of this session (see attack_session_test.go): the
// record search. A result — or a word of its snippet — is always of a
// record the caller reads now; the query is taken literally (no LIKE
// wildcards), bounded, and never echoed; cursors and limits out of their
// range are 4xx or harmless, never 5xx.

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// searchRaw runs a search as c and answers the response as it is.
func searchRaw(c *client, q, extra string) response {
	return c.do("GET", "/api/v1/search/records?q="+url.QueryEscape(q)+extra, nil)
}

// TestAttackSessionSearchReach: one word written into every kind of record
// a caller might not read; each caller's results are exactly those they
// read, and no response carries a word of the others.
//
// Finding: a record entered in error was found, its text in the snippet,
// like any other (the index kept its current version's text). Such a
// record is often another patient's text written on the wrong chart; it
// stays in the history but a search must not surface it. Fixed in
// store.indexRecord: a record entered in error is indexed empty (amended
// back to final, it is indexed again).
func TestAttackSessionSearchReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		const word = "探索語"
		write := func(c *client, patientID, kind, text string) string {
			t.Helper()
			return c.mustCreateRecord(t, patientID, map[string]any{"kind": kind, "text": text}).ID
		}
		chart := write(r.nurseC, r.patientID, "nursing_visit", word+" 看護の秘密")
		shared := write(r.nurseC, r.patientID, "note", word+" 共有の連絡")
		amended := write(r.nurseC, r.patientID, "note", word+" 旧版の秘密")
		amendRecord(t, r.nurseC, amended, 1, map[string]any{"text": word + " 新版"})
		// Entered in error (another patient's text on this chart): kept in
		// the history, never found.
		errored := write(r.nurseC, r.patientID, "note", word+" 誤記録の秘密")
		amendRecord(t, r.nurseC, errored, 1, map[string]any{"status": "entered_in_error"})
		// Another patient, whose team is the outsider's alone.
		other := h.mustOtherPatient(r)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+other+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
		r.doctorC.must(201, "POST", "/api/v1/patients/"+other+"/team", map[string]any{"user_id": r.outsider.ID, "role": "visiting_nurse"})
		outsiderC := h.signIn(r.outsider)
		elsewhere := write(outsiderC, other, "note", word+" 他患者の秘密")
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+other+"/team/"+r.doctor.ID, nil)
		h.clock.Advance(time.Minute)

		// expect checks that c's search for word, across patients and in
		// the region's patient, finds exactly want, and that no answer
		// carries a secret of the others.
		secrets := map[string]string{chart: "看護の秘密", shared: "共有の連絡", elsewhere: "他患者の秘密", errored: "誤記録の秘密"}
		unknown := r.nurseC.must(404, "GET", "/api/v1/search/records?q="+url.QueryEscape(word)+"&patient_id="+newID(), nil)
		expect := func(who string, c *client, inPatient int, want ...string) {
			t.Helper()
			for _, extra := range []string{"", "&patient_id=" + r.patientID} {
				res := searchRaw(c, word, extra)
				if strings.Contains(res.body, "旧版") {
					t.Errorf("%s%s: amended-away text found: %s", who, extra, res.body)
				}
				if extra != "" && res.status != inPatient {
					t.Errorf("%s in the patient: %d, want %d: %s", who, res.status, inPatient, res.body)
				}
				if res.status == 404 && stripRequestID(res.body) != stripRequestID(unknown.body) {
					t.Errorf("%s: 404 differs from an unknown patient's: %s", who, res.body)
				}
				if res.status != 200 {
					continue
				}
				var p searchPage
				res.json(t, &p)
				got := map[string]bool{}
				for _, id := range p.ids() {
					got[id] = true
				}
				for id, secret := range secrets {
					mine := containsString(want, id)
					if extra != "" && id == elsewhere {
						mine = false
					}
					if got[id] != mine {
						t.Errorf("%s%s: record %q found %v, want %v", who, extra, secret, got[id], mine)
					}
					if !mine && strings.Contains(res.body, secret) {
						t.Errorf("%s%s: the answer carries %q", who, extra, secret)
					}
				}
			}
		}
		expect("nurse", r.nurseC, 200, chart, shared, amended)
		expect("doctor", r.doctorC, 200, chart, shared, amended)
		expect("care worker", r.helperC, 200, shared, amended)
		expect("outsider", outsiderC, 404, elsewhere)
		for who, u := range map[string]store.User{"network administrator": r.netAdmin, "facility administrator": r.clinicAdmin} {
			expect(who, h.signIn(u), 404)
		}
		// The station keeps its chart to itself: the doctor no longer finds it.
		if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`UPDATE facility SET disclosure = 'shared_only' WHERE id = ?`), r.station); err != nil {
			t.Fatal(err)
		}
		expect("doctor across the disclosure", r.doctorC, 200, shared, amended)
		expect("nurse of the station", r.nurseC, 200, chart, shared, amended)
		// The care worker leaves the team.
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.helper.ID, nil)
		expect("removed care worker", r.helperC, 404)
		// A suspended nurse is signed out.
		h.setStatus(r.nurse.ID, care.StatusSuspended)
		if res := searchRaw(r.nurseC, word, ""); res.status != 401 {
			t.Errorf("suspended nurse: %d %s", res.status, res.body)
		}
		// The consent is withdrawn: the doctor reads no record of it.
		r.doctorC.must(200, "POST", "/api/v1/patients/"+r.patientID+"/consents/"+r.consentID+"/withdraw", map[string]any{"reason": "テスト"})
		res := searchRaw(r.doctorC, word, "")
		if res.status != 200 || strings.Contains(res.body, r.patientID) {
			t.Errorf("doctor under a withdrawn consent: %d %s", res.status, res.body)
		}
		if res := searchRaw(r.doctorC, word, "&patient_id="+r.patientID); res.status == 200 || res.status >= 500 || strings.Contains(res.body, "秘密") {
			t.Errorf("doctor in the patient under a withdrawn consent: %d %s", res.status, res.body)
		}
	})
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestAttackSessionSearchInput: the query is literal text, not a pattern:
// %, _ and \ match only themselves. Queries of one character, too long, of
// too many words or not UTF-8 are 422 naming q and never echoed; limits
// out of range are 422; garbage and tampered cursors are 422 or a page of
// readable records, never 5xx.
func TestAttackSessionSearchInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		pct := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "SpO2 50%以上 a_b c\\d"}).ID
		plain := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "SpO2 50台 axb cxd"}).ID
		found := func(q string) []string {
			t.Helper()
			var p searchPage
			r.nurseC.must(200, "GET", "/api/v1/search/records?q="+url.QueryEscape(q), nil).json(t, &p)
			return p.ids()
		}
		for q, want := range map[string][]string{
			"0%": {pct}, "%以": {pct}, "a_b": {pct}, `c\d`: {pct},
			"%%": nil, "__": nil, `\\`: nil, "%_": nil, "_b": {pct}, "x%": nil,
			"50": {plain, pct},
		} {
			got := found(q)
			if strings.Join(got, ",") != strings.Join(want, ",") && !(len(want) == 2 && len(got) == 2) {
				t.Errorf("q %q: %v, want %v", q, got, want)
			}
		}
		for name, q := range map[string]string{
			"empty": "", "one character": "%", "one kana": "カ", "spaces": "   ", "a word of one": "ab c",
			"101 characters": strings.Repeat("あ", 101), "401 bytes": strings.Repeat("%", 401),
			"six words": "aa bb cc dd ee ff", "not UTF-8": "\xff\xfe秘密",
		} {
			res := searchRaw(r.nurseC, q, "")
			if res.status != 422 || !strings.Contains(res.body, "query.q") {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
			if len(q) >= 4 && strings.Contains(res.body, q) {
				t.Errorf("%s: the refusal echoes the query", name)
			}
		}
		for _, l := range []string{"0", "-1", "101", "9999999999999999999999", "x", "1.5"} {
			if res := searchRaw(r.nurseC, "50", "&limit="+l); res.status != 422 {
				t.Errorf("limit %s: %d %s", l, res.status, res.body)
			}
		}
		if res := searchRaw(r.nurseC, "50", "&patient_id=not-a-uuid"); res.status != 422 {
			t.Errorf("patient_id not a uuid: %d %s", res.status, res.body)
		}
		// A record entered in error leaves the search; amended back to
		// final, it is found again.
		back := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "note", "text": "復元する語句"}).ID
		amendRecord(t, r.nurseC, back, 1, map[string]any{"status": "entered_in_error"})
		if got := found("復元"); len(got) != 0 {
			t.Errorf("entered in error, found: %v", got)
		}
		amendRecord(t, r.nurseC, back, 2, map[string]any{"status": "final", "text": "復元する語句"})
		if got := found("復元"); len(got) != 1 || got[0] != back {
			t.Errorf("final again, found: %v", got)
		}
		// Pages of one follow the cursor to the end.
		var p searchPage
		r.nurseC.must(200, "GET", "/api/v1/search/records?q=50&limit=1", nil).json(t, &p)
		if len(p.Records) != 1 || p.Next == "" {
			t.Fatalf("first page: %+v", p)
		}
		cur := p.Next
		r.nurseC.must(200, "GET", "/api/v1/search/records?q=50&limit=1&cursor="+url.QueryEscape(cur), nil).json(t, &p)
		if len(p.Records) != 1 || p.Records[0].ID == "" {
			t.Fatalf("second page: %+v", p)
		}
		// Cursors: garbage, another list's shape, extreme times, another
		// patient's record id. Never 5xx; a page holds only readable records.
		var cursors []string
		for _, raw := range []string{"t1.x.y", "t2.0." + pct, "t1.-9223372036854775808." + pct, "t1.9223372036854775807." + pct,
			"t1.253402300800000000." + pct, "t1.0." + newID(), "t1.1.' OR 1=1 --"} {
			cursors = append(cursors, base64.RawURLEncoding.EncodeToString([]byte(raw)))
		}
		cursors = append(cursors, "%%%", strings.Repeat("A", 201), "")
		for _, c := range cursors {
			res := searchRaw(r.nurseC, "50", "&cursor="+url.QueryEscape(c))
			if res.status >= 500 || res.status != 200 && res.status != 422 {
				t.Errorf("cursor %q: %d %s", c, res.status, res.body)
			}
			if res.status == 200 {
				var p searchPage
				res.json(t, &p)
				for _, id := range p.ids() {
					if id != pct && id != plain {
						t.Errorf("cursor %q: record %s", c, id)
					}
				}
			}
		}
		// The audit of these searches holds counts, never the query.
		var details []string
		h.db.Read(t.Context(), func(tx *store.Tx) error {
			return tx.Select(t.Context(), &details, `SELECT detail FROM audit_event WHERE action = 'record.search'`)
		})
		if len(details) == 0 {
			t.Fatal("searches not audited")
		}
		for _, d := range details {
			if strings.Contains(d, "50") && !strings.Contains(d, "=") || strings.ContainsAny(d, "%_\\以") {
				t.Errorf("audit detail holds the query: %q", d)
			}
		}
	})
}
