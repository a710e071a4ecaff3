package api_test

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/care"
	"tsunagu/internal/store/storetest"
)

// bodyOp is an operation of the OpenAPI document that takes a JSON body,
// with the top-level properties of that body.
type bodyOp struct {
	operation
	props map[string]*huma.Schema
}

// jsonBodyOps lists every operation whose request body is JSON, from the
// OpenAPI document: a new one is covered by the tests below at once.
func jsonBodyOps(t *testing.T, h *harness) []bodyOp {
	t.Helper()
	var out []bodyOp
	for _, o := range operations(h) {
		item := h.hapi.OpenAPI().Paths[o.path]
		var op *huma.Operation
		switch o.method {
		case "POST":
			op = item.Post
		case "PUT":
			op = item.Put
		case "PATCH":
			op = item.Patch
		case "DELETE":
			op = item.Delete
		}
		if op == nil || op.RequestBody == nil || op.RequestBody.Content["application/json"] == nil {
			continue
		}
		s := resolve(h, op.RequestBody.Content["application/json"].Schema)
		if s == nil || len(s.Properties) == 0 {
			t.Fatalf("%s: JSON body without properties", o.id)
		}
		props := map[string]*huma.Schema{}
		for name, p := range s.Properties {
			props[name] = resolve(h, p)
		}
		out = append(out, bodyOp{operation: o, props: props})
	}
	if len(out) < 15 {
		t.Fatalf("only %d operations with a JSON body in the OpenAPI document", len(out))
	}
	return out
}

func resolve(h *harness, s *huma.Schema) *huma.Schema {
	if s != nil && s.Ref != "" {
		return h.hapi.OpenAPI().Components.Schemas.Map()[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// baseBody is a valid body of the operation (its access case), as a map
// that a test may change one property of.
func baseBody(t *testing.T, o bodyOp, r *region) map[string]any {
	t.Helper()
	m := map[string]any{}
	if o.id == "signIn" {
		return map[string]any{"login_id": r.doctor.LoginID, "password": "not-the-password"}
	}
	if c, ok := accessCases[o.id]; ok && c.body != nil {
		b, _ := json.Marshal(c.body(r))
		json.Unmarshal(b, &m)
	}
	return m
}

// callerFor is who sends an operation in these tests: an administrator for
// administration, the patient's doctor otherwise.
func callerFor(o bodyOp, r *region, admin *client) *client {
	if accessCases[o.id].kind == kAdmin {
		return admin
	}
	return r.doctorC
}

// problemText is what a refusal says about the request: the problem without
// "current" (a conflict's current entity may hold what was stored before).
func problemText(t *testing.T, body string) string {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return body
	}
	delete(p, "current")
	b, _ := json.Marshal(p)
	return string(b)
}

const marker = "zq-marker-7731"

// TestProblemsNeverEchoValues sends, to every operation with a JSON body
// (and as sync mutations), bodies in which one property at a time holds a
// marker that breaks a rule — a string where a number, id, date, enum or
// bounded text belongs, a list, a hidden character, a too long text — and
// checks that no refusal repeats it: a problem names the field and the
// rule, never the value (which may be a patient's name or address).
func TestProblemsNeverEchoValues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		admin := h.signIn(r.clinicAdmin)
		r.visitID = mustNurseVisit(t, r)
		variants := []any{marker, marker + "\x00", []any{marker}, map[string]any{marker: marker}, marker + strings.Repeat("x", 5000), 1e300}
		refused := map[string]int{}
		check := func(what string, res response) {
			t.Helper()
			if res.status >= 500 {
				t.Errorf("%s: server error %s", what, res.body)
			}
			if res.status >= 400 {
				refused[what]++
				if strings.Contains(problemText(t, res.body), marker) {
					t.Errorf("%s: %d problem repeats the value sent: %s", what, res.status, res.body)
				}
			}
		}
		// updateUser may set a password, which ends the sessions of its
		// target: its target is a colleague of the admin's, not the doctor.
		colleague := h.mustUser(r.clinic, care.ProfNurse)
		for _, o := range jsonBodyOps(t, h) {
			path := fill(o.path, r)
			if o.id == "updateUser" {
				path = "/api/v1/users/" + colleague.ID
			}
			for _, p := range sortedKeys(o.props) {
				for _, v := range variants {
					body := baseBody(t, o, r)
					body[p] = v
					check(o.id, callerFor(o, r, admin).do(o.method, path, body))
				}
			}
			if refused[o.id] == 0 {
				t.Errorf("%s: no marker body was refused", o.id)
			}
		}

		// Sync mutations are checked against the same schemas outside huma's
		// request decoding; their problems go into the answer and the ledger.
		dev := newID()
		seq := int64(0)
		for _, m := range syncBases(r) {
			for _, p := range sortedKeys(m.args) {
				for _, v := range variants {
					args := map[string]any{}
					for k, x := range m.args {
						args[k] = x
					}
					args[p] = v
					seq++
					ms := []mutation{{ID: newID(), Seq: seq, Type: m.typ, Args: args}}
					body := map[string]any{"device_id": dev, "mutations": ms}
					res := r.doctorC.do("POST", "/api/v1/sync/push", body)
					var a struct {
						Results []struct {
							Status  string          `json:"status"`
							Problem json.RawMessage `json:"problem"`
						} `json:"results"`
					}
					res.json(t, &a)
					if len(a.Results) != 1 {
						t.Fatalf("push %s: %s", m.typ, res.body)
					}
					if a.Results[0].Status == "rejected" {
						refused["sync "+m.typ]++
					}
					if strings.Contains(problemText(t, string(a.Results[0].Problem)), marker) {
						t.Errorf("mutation %s with %s = %v: problem repeats the value sent: %s", m.typ, p, v, a.Results[0].Problem)
					}
					// The answer kept in the ledger, sent again, says no more.
					again := r.doctorC.do("POST", "/api/v1/sync/push", body)
					if a.Results[0].Status == "rejected" && strings.Contains(again.body, marker) {
						t.Errorf("mutation %s resent: the stored answer repeats the value: %s", m.typ, again.body)
					}
				}
			}
			if refused["sync "+m.typ] == 0 {
				t.Errorf("mutation %s: no marker args were refused", m.typ)
			}
		}
	})
}

type syncBase struct {
	typ  string
	args map[string]any
}

// syncBases are valid args of every mutation type, from the access cases of
// the REST operations they stand for.
func syncBases(r *region) []syncBase {
	body := func(id string) map[string]any {
		m := map[string]any{}
		if c := accessCases[id]; c.body != nil {
			b, _ := json.Marshal(c.body(r))
			json.Unmarshal(b, &m)
		}
		return m
	}
	with := func(m map[string]any, k, v string) map[string]any { m[k] = v; return m }
	return []syncBase{
		{"record.create", with(body("createRecord"), "patient_id", r.patientID)},
		{"record.amend", with(body("amendRecord"), "record_id", r.recordID)},
		{"record.read", with(map[string]any{}, "record_id", r.recordID)},
		{"record.confirm", with(body("confirmRecord"), "record_id", r.recordID)},
		{"visit.create", with(body("createVisit"), "patient_id", r.patientID)},
		{"visit.update", with(body("updateVisit"), "visit_id", r.visitID)},
		{"consent.create", with(body("createConsent"), "patient_id", r.patientID)},
		{"message.create", with(body("createMessage"), "patient_id", r.patientID)},
	}
}

func mustNurseVisit(t *testing.T, r *region) string {
	t.Helper()
	var v struct{ ID string }
	r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
		"starts_at": "2026-11-23T10:00:00+09:00", "ends_at": "2026-11-23T10:45:00+09:00"}).json(t, &v)
	return v.ID
}

// hidden are characters no name or text may hold: control characters,
// bidirectional controls and zero-width characters.
var hidden = []string{"\x00", "\x1b", "\x7f", "\u0085", "\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c",
	"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}

type problemDoc struct {
	Code   string `json:"code"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

// names reports whether the problem is a validation error naming loc.
func (p problemDoc) names(loc string) bool {
	if p.Code != care.CodeValidation {
		return false
	}
	for _, e := range p.Errors {
		if (e.Location == loc || strings.HasPrefix(e.Location, loc+"[")) && e.Message != "" {
			return true
		}
	}
	return false
}

// TestHiddenCharactersRefused puts each hidden character into each string
// property of every operation with a JSON body, into each free string query
// parameter, and into sync mutation args, and expects a 422 naming the
// field; line breaks and tabs pass in free text and are refused in names.
func TestHiddenCharactersRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		admin := h.signIn(r.clinicAdmin)
		r.visitID = mustNurseVisit(t, r)
		tried := 0
		for _, o := range jsonBodyOps(t, h) {
			path := fill(o.path, r)
			for _, p := range sortedKeys(o.props) {
				s := o.props[p]
				if s == nil || s.Type != "string" || len(s.Enum) > 0 || (s.Format != "" && s.Format != "password") || s.Pattern != "" {
					continue // huma refuses anything but the listed forms already
				}
				for _, c := range hidden {
					body := baseBody(t, o, r)
					body[p] = "見本" + c + "テキスト"
					res := callerFor(o, r, admin).do(o.method, path, body)
					var pd problemDoc
					json.Unmarshal([]byte(res.body), &pd)
					if res.status != 422 || !pd.names("body."+p) {
						t.Errorf("%s: %s holding %+q: want 422 naming body.%s, got %d %s", o.id, p, c, p, res.status, res.body)
					}
					tried++
				}
			}
		}
		if tried < 100 {
			t.Errorf("only %d string properties × characters tried", tried)
		}

		// Free string query parameters.
		queried := 0
		for _, o := range operations(h) {
			item := h.hapi.OpenAPI().Paths[o.path]
			if item.Get == nil || item.Get.OperationID != o.id {
				continue
			}
			for _, prm := range item.Get.Parameters {
				if prm.In != "query" || prm.Schema == nil || prm.Schema.Format != "" || len(prm.Schema.Enum) > 0 || prm.Schema.Pattern != "" {
					continue
				}
				if prm.Schema.Type != "string" && (prm.Schema.Items == nil || prm.Schema.Items.Type != "string") {
					continue
				}
				for _, c := range []string{"\x00", "\u202e", "\u200b"} {
					res := r.doctorC.do("GET", fill(o.path, r)+"?"+prm.Name+"="+url.QueryEscape("a"+c+"b"), nil)
					var pd problemDoc
					json.Unmarshal([]byte(res.body), &pd)
					if res.status != 422 || !pd.names("query."+prm.Name) {
						t.Errorf("%s: query %s holding %+q: want 422 naming query.%s, got %d %s", o.id, prm.Name, c, prm.Name, res.status, res.body)
					}
					queried++
				}
			}
		}
		if queried == 0 {
			t.Error("no free string query parameter tried")
		}

		// Sync mutations: the same rule, the same field names.
		dev := newID()
		seq := int64(0)
		for _, m := range syncBases(r) {
			for _, p := range sortedKeys(m.args) {
				if _, ok := m.args[p].(string); !ok || p == "patient_id" || p == "record_id" || p == "visit_id" {
					continue
				}
				args := map[string]any{}
				for k, x := range m.args {
					args[k] = x
				}
				args[p] = "見本\u202eテキスト"
				seq++
				a := r.doctorC.push(dev, []mutation{{ID: newID(), Seq: seq, Type: m.typ, Args: args}})
				if len(a.Results) != 1 || a.Results[0].Status != "rejected" || a.Results[0].Problem == nil || a.Results[0].Problem.Code != care.CodeValidation {
					t.Errorf("mutation %s with a bidi override in %s: %+v", m.typ, p, a.Results)
				}
			}
		}
		seq++
		args := syncBases(r)[0].args
		args["id"], args["text"] = newID(), "一行目\n二行目\t続き\u202e"
		a := r.doctorC.push(dev, []mutation{{ID: newID(), Seq: seq, Type: "record.create", Args: args}})
		if a.Results[0].Status != "rejected" {
			t.Errorf("record.create with a bidi override in text: %+v", a.Results[0])
		}

		// Line breaks and tabs: kept in free text, refused in one-line fields.
		rec := r.nurseC.do("POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": newID(), "kind": "nursing_visit",
			"occurred_at": "2026-11-20T09:00:00Z", "text": "一行目\n二行目\tタブ", "fields": map[string]any{"plan": "計画\n続き"}})
		if rec.status != 201 || !strings.Contains(rec.body, `一行目\n二行目\tタブ`) {
			t.Errorf("record text with a line break and a tab: %d %s", rec.status, rec.body)
		}
		seq++
		args = syncBases(r)[0].args
		args["id"], args["text"] = newID(), "同期\n改行"
		if a := r.doctorC.push(dev, []mutation{{ID: newID(), Seq: seq, Type: "record.create", Args: args}}); a.Results[0].Status != "applied" {
			t.Errorf("record.create with a line break in text: %+v", a.Results[0])
		}
		res := r.doctorC.do("POST", "/api/v1/patients", map[string]any{"name": "見本\n太郎", "name_kana": "ミホン タロウ", "birth_date": "1950-01-01", "sex": "male", "address": "架空", "phone": ""})
		var pd problemDoc
		json.Unmarshal([]byte(res.body), &pd)
		if res.status != 422 || !pd.names("body.name") {
			t.Errorf("a patient's name with a line break: %d %s", res.status, res.body)
		}
	})
}
