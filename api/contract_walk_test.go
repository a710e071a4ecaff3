package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestContractWalk walks every operation of the OpenAPI document that takes
// a JSON body or query parameters and, as a user who legitimately reaches
// the region's patient, changes one field at a time (walking the request
// schema, nested objects and array items included) to values a client may
// send and the schema allows by type: ids of other patients, of their
// records, visits and attachments, of other facilities and foreign users,
// unknown ids and ids already taken; strings with control characters or
// bidi overrides, empty, or as long as the schema allows; extreme dates;
// negative and huge numbers; empty arrays and arrays with duplicates. A
// sync push carries each mutation type with its operation's body walked
// the same way. Every answer must be below 500; a refusal is problem+json
// with a code and never repeats what was sent (walkMarker, the id, the
// date); a push answers no mutation with "retry" or an internal error.
//
// Everything comes from the schema: an operation or field added later is
// walked without a change here (a new sync mutation type needs one line in
// walkMutationOps).
func TestContractWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		w := newWalker(t, engine)
		ops := operations(w.h)
		// Four at a time: each operation walks its fields in order, and
		// the mutation types of a push are walked on their own.
		work := make(chan func())
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for f := range work {
					f()
				}
			}()
		}
		for _, o := range ops {
			work <- func() { w.walkOperation(o) }
		}
		for _, typ := range w.mutationTypes() {
			work <- func() { w.walkMutation(typ) }
		}
		close(work)
		wg.Wait()
		// The walk reached every operation that takes a JSON body or a
		// query, and every mutation type.
		for _, o := range ops {
			if w.takesInput(o) && w.walked[o.id] == 0 {
				t.Errorf("%s takes input but was not walked", o.id)
			}
		}
		for typ := range walkMutationOps {
			if w.walked["syncPush "+typ] < 2 {
				t.Errorf("sync mutation %s was not walked", typ)
			}
		}
		w.report()
	})
}

// walkMarker is in every free-text value sent; a refusal must not echo it.
const walkMarker = "WALKMARK7q"

// walkMutationOps maps each sync mutation type to the operation whose body
// its args carry, and the args field that stands for the path id.
var walkMutationOps = map[string]struct{ op, idArg string }{
	"record.create":  {"createRecord", "patient_id"},
	"record.amend":   {"amendRecord", "record_id"},
	"record.read":    {"markRecordRead", "record_id"},
	"record.confirm": {"confirmRecord", "record_id"},
	"visit.create":   {"createVisit", "patient_id"},
	"visit.update":   {"updateVisit", "visit_id"},
	"consent.create": {"createConsent", "patient_id"},
	"message.create": {"createMessage", "patient_id"},
}

// walkValue is one value sent for a field.
type walkValue struct {
	class string // what kind of value, for the report
	v     any
	echo  string // a refusal must not contain this
}

type walkFailure struct{ op, field, class, problem string }

type walker struct {
	t         *testing.T
	h         *harness
	r         *region
	oapi      *huma.OpenAPI
	ids       []walkValue
	self      store.User // for the own-account operations
	selfC     *client
	victim    store.User // the account updateUser changes
	spare     store.User // a colleague off the team, for addTeamMember
	netC      *client
	p2Consent string
	visit2    string
	n         atomic.Int64
	mu        sync.Mutex // guards what follows
	sent      int
	failures  map[walkFailure]int
	walked    map[string]int // requests per operation (and mutation type)
}

func newWalker(t *testing.T, engine string) *walker {
	h := newHarness(t, engine)
	r := h.mustRegion()
	w := &walker{t: t, h: h, r: r, oapi: h.hapi.OpenAPI(), failures: map[walkFailure]int{}, walked: map[string]int{}}
	r.attachmentID = h.mustAttachment(r.doctorC, r.patientID, accessPhoto)
	r.visitID = w.mustCreated(r.doctorC, "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
		"starts_at": "2026-11-23T10:00:00+09:00", "ends_at": "2026-11-23T10:45:00+09:00"})
	// A second patient the doctor reaches, and one only the outsider does,
	// each with a record, a visit and an attachment.
	p2 := w.mustCreated(r.doctorC, "/api/v1/patients", map[string]any{"name": "見本 二郎", "name_kana": "ミホン ジロウ", "birth_date": "1938-05-06", "sex": "male", "address": "架空", "phone": ""})
	w.p2Consent = w.mustCreated(r.doctorC, "/api/v1/patients/"+p2+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
	rec2 := w.mustCreated(r.doctorC, "/api/v1/patients/"+p2+"/records", map[string]any{"id": newID(), "kind": "doctor_note", "occurred_at": "2026-11-20T09:00:00Z", "text": "診察"})
	w.visit2 = w.mustCreated(r.doctorC, "/api/v1/patients/"+p2+"/visits", map[string]any{"kind": "doctor_visit", "assignee_ids": []string{r.doctor.ID},
		"starts_at": "2026-11-25T10:00:00+09:00", "ends_at": "2026-11-25T10:30:00+09:00"})
	att2 := h.mustAttachment(r.doctorC, p2, accessPhoto)
	outsiderC := h.signIn(r.outsider)
	p3 := w.mustCreated(outsiderC, "/api/v1/patients", map[string]any{"name": "他院 三子", "name_kana": "タイン ミツコ", "birth_date": "1945-07-08", "sex": "female", "address": "架空", "phone": ""})
	consent3 := w.mustCreated(outsiderC, "/api/v1/patients/"+p3+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
	rec3 := w.mustCreated(outsiderC, "/api/v1/patients/"+p3+"/records", map[string]any{"id": newID(), "kind": "nursing_visit", "occurred_at": "2026-11-20T09:00:00Z", "text": "訪問"})
	visit3 := w.mustCreated(outsiderC, "/api/v1/patients/"+p3+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.outsider.ID},
		"starts_at": "2026-11-25T10:00:00+09:00", "ends_at": "2026-11-25T10:30:00+09:00"})
	att3 := h.mustAttachment(outsiderC, p3, accessPhoto)
	stranger := h.mustUser(r.other, care.ProfDoctor)
	nurseDevice := "01900000-0000-7000-8000-0000000000d9"
	r.nurseC.must(200, "POST", "/api/v1/devices", map[string]any{"device_id": nurseDevice})
	w.self = h.mustUser(r.station, care.ProfNurse)
	w.selfC = h.signIn(w.self)
	w.victim = h.mustUser(r.clinic, care.ProfNurse)
	w.spare = h.mustUser(r.clinic, care.ProfNurse)
	w.netC = h.signIn(r.netAdmin)

	for _, id := range []struct{ class, id string }{
		{"unknown id", newID()},
		{"the patient", r.patientID}, {"other reachable patient", p2}, {"foreign patient", p3},
		{"record", r.recordID}, {"other patient's record", rec2}, {"foreign record", rec3},
		{"visit", r.visitID}, {"other patient's visit", w.visit2}, {"foreign visit", visit3},
		{"other patient's attachment", att2}, {"foreign attachment", att3}, {"foreign consent", consent3},
		{"self", r.doctor.ID}, {"team member", r.nurse.ID}, {"foreign user", r.outsider.ID}, {"user off every team", stranger.ID},
		{"other facility", r.other},
		{"another user's device", nurseDevice},
	} {
		w.ids = append(w.ids, walkValue{class: "id: " + id.class, v: id.id, echo: id.id})
	}
	return w
}

func (w *walker) mustCreated(c *client, path string, body any) string {
	w.t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	c.must(201, "POST", path, body).json(w.t, &out)
	return out.ID
}

// send makes one request as cl; a transport failure (a dropped connection)
// is status 0 with the error as body. Safe from several goroutines.
func (w *walker) send(cl *client, method, path, contentType string, body []byte) response {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, w.h.srv.URL+path, rd)
	if err != nil {
		return response{body: err.Error()}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := cl.c.Do(req)
	if err != nil {
		return response{body: err.Error()}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: string(b), header: res.Header}
}

// caller is who sends the operation: the account it is meant for.
func (w *walker) caller(id string) *client {
	switch accessCases[id].kind {
	case kPublic:
		return w.h.anon()
	case kSelf:
		return w.selfC
	case kAdmin:
		return w.netC
	}
	return w.r.doctorC
}

// path fills the path parameters: the region's patient and its entities,
// the account updateUser may change, and the consent of the second patient
// for the withdrawal (so that the region keeps its consent).
func (w *walker) path(o operation) string {
	p := fill(o.path, w.r)
	switch o.id {
	case "updateUser", "resetPassword", "resetTOTP":
		p = strings.Replace(o.path, "{id}", w.victim.ID, 1)
	case "withdrawConsent":
		p = strings.NewReplacer("{id}", w.idOf("id: other reachable patient"), "{cid}", w.p2Consent).Replace(o.path)
	}
	return p
}

func (w *walker) idOf(class string) string {
	for _, v := range w.ids {
		if v.class == class {
			return v.v.(string)
		}
	}
	w.t.Fatalf("no id %q", class)
	return ""
}

// baseline is a body the caller may send to operation id, made afresh for
// each request (fresh ids, the current version).
func (w *walker) baseline(id string) map[string]any {
	n := w.n.Add(1)
	r := w.r
	var body map[string]any
	switch id {
	case "signIn":
		return map[string]any{"login_id": w.self.LoginID, "password": testPassword}
	case "createUser":
		return map[string]any{"login_id": fmt.Sprintf("walk.%d", n), "name": "新人", "name_kana": "シンジン", "profession": "nurse", "facility_id": r.clinic, "password": "a-long-initial-password"}
	case "addTeamMember":
		return map[string]any{"user_id": w.spare.ID, "role": "other"}
	case "updatePatient":
		body = accessCases[id].body(r).(map[string]any)
		body["version"] = w.version("/api/v1/patients/" + r.patientID)
		return body
	case "updateVisit":
		body = accessCases[id].body(r).(map[string]any)
		body["base_version"] = w.version("/api/v1/visits/" + r.visitID)
		return body
	case "syncPush":
		return map[string]any{"device_id": newID(), "mutations": []any{
			map[string]any{"id": newID(), "seq": 1, "type": "record.read", "args": map[string]any{"record_id": r.recordID}}}}
	}
	if c, ok := accessCases[id]; ok && c.body != nil {
		// Through JSON, so that arrays and objects have one shape.
		var m map[string]any
		if json.Unmarshal([]byte(jsonText(c.body(r))), &m) == nil {
			return m
		}
	}
	return map[string]any{}
}

func (w *walker) version(path string) int64 {
	var v struct {
		Version int64 `json:"version"`
	}
	res := w.send(w.r.doctorC, "GET", path, "", nil)
	if json.Unmarshal([]byte(res.body), &v) != nil || v.Version == 0 {
		return 1 // the walk reports what the change answers
	}
	return v.Version
}

// takesInput reports whether an operation has query parameters or a JSON
// body with fields.
func (w *walker) takesInput(o operation) bool {
	item := w.oapi.Paths[o.path]
	op := map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete}[o.method]
	for _, p := range op.Parameters {
		if p.In == "query" {
			return true
		}
	}
	if op.RequestBody != nil {
		if mt := op.RequestBody.Content["application/json"]; mt != nil {
			return len(w.resolve(mt.Schema).Properties) > 0
		}
	}
	return false
}

func (w *walker) resolve(s *huma.Schema) *huma.Schema {
	for s != nil && s.Ref != "" {
		s = w.oapi.Components.Schemas.SchemaFromRef(s.Ref)
	}
	return s
}

func (w *walker) walkOperation(o operation) {
	item := w.oapi.Paths[o.path]
	op := map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete}[o.method]
	c := accessCases[o.id]
	path := w.path(o)
	baseQuery := url.Values{}
	if c.query != nil {
		baseQuery, _ = url.ParseQuery(strings.TrimPrefix(c.query(w.r), "?"))
	}
	var bodySchema *huma.Schema
	if op.RequestBody != nil {
		if mt := op.RequestBody.Content["application/json"]; mt != nil && c.raw == nil {
			bodySchema = w.resolve(mt.Schema)
		}
	}
	send := func(field string, val walkValue, q url.Values, body map[string]any) {
		full := path
		if len(q) > 0 {
			full += "?" + q.Encode()
		}
		cl := w.caller(o.id)
		var res response
		switch {
		case c.raw != nil:
			res = w.send(cl, o.method, full, c.contentType, c.raw)
		case body != nil:
			res = w.send(cl, o.method, full, "application/json", []byte(jsonText(body)))
		default:
			res = w.send(cl, o.method, full, "", nil)
		}
		w.check(o.id, field, val, res)
	}
	// Query parameters, one at a time.
	for _, p := range op.Parameters {
		if p.In != "query" {
			continue
		}
		for _, val := range w.values(p.Name, w.resolve(p.Schema), nil) {
			q := url.Values{}
			for k, v := range baseQuery {
				q[k] = v
			}
			q.Set(p.Name, fmt.Sprint(val.v))
			var body map[string]any
			if bodySchema != nil {
				body = w.baseline(o.id)
			}
			send("?"+p.Name, val, q, body)
		}
	}
	if bodySchema == nil {
		return
	}
	base := w.baseline(o.id)
	send("(baseline)", walkValue{class: "baseline"}, baseQuery, base)
	w.walkFields(bodySchema, nil, base, func(field string, val walkValue, set func(map[string]any)) {
		body := w.baseline(o.id)
		set(body)
		send(field, val, baseQuery, body)
	})
}

// walkFields calls try for every value of every field under schema s at
// path; set puts the value into a fresh body.
func (w *walker) mutationTypes() []string {
	var push *huma.Schema
	for _, item := range w.oapi.Paths {
		if item.Post != nil && item.Post.OperationID == "syncPush" {
			push = w.resolve(item.Post.RequestBody.Content["application/json"].Schema)
		}
	}
	mut := w.resolve(w.resolve(push.Properties["mutations"]).Items)
	var out []string
	for _, e := range w.resolve(mut.Properties["type"]).Enum {
		out = append(out, e.(string))
	}
	return out
}

// walkMutation sends mutation type typ with its operation's body walked,
// in the args of a push from a new device.
func (w *walker) walkMutation(typ string) {
	m, ok := walkMutationOps[typ]
	if !ok {
		w.mu.Lock()
		w.failures[walkFailure{"syncPush " + typ, "type", "a mutation type", "not walked: add it to walkMutationOps"}]++
		w.mu.Unlock()
		return
	}
	var opSchema *huma.Schema
	for _, item := range w.oapi.Paths {
		for _, op := range []*huma.Operation{item.Post, item.Patch, item.Put} {
			if op != nil && op.OperationID == m.op && op.RequestBody != nil {
				opSchema = w.resolve(op.RequestBody.Content["application/json"].Schema)
			}
		}
	}
	args := func() map[string]any {
		a := w.baseline(m.op)
		a[m.idArg] = map[string]string{"patient_id": w.r.patientID, "record_id": w.r.recordID, "visit_id": w.r.visitID}[m.idArg]
		return a
	}
	push := func(field string, val walkValue, a map[string]any) {
		body := map[string]any{"device_id": newID(), "mutations": []any{map[string]any{"id": newID(), "seq": 1, "type": typ, "args": a}}}
		res := w.send(w.r.doctorC, "POST", "/api/v1/sync/push", "application/json", []byte(jsonText(body)))
		w.check("syncPush "+typ, field, val, res)
	}
	push("(baseline)", walkValue{class: "baseline"}, args())
	for _, val := range w.ids {
		a := args()
		a[m.idArg] = val.v
		push("args."+m.idArg, val, a)
	}
	if opSchema != nil {
		w.walkFields(opSchema, []string{"args"}, map[string]any{"args": args()}, func(field string, val walkValue, set func(map[string]any)) {
			wrap := map[string]any{"args": args()}
			set(wrap)
			push(field, val, wrap["args"].(map[string]any))
		})
	}
}

// check asserts what every answer must be.
func (w *walker) check(op, field string, val walkValue, res response) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent++
	w.walked[op]++
	if field == "(baseline)" && res.status >= 300 {
		w.t.Logf("%s: the baseline answers %d %s", op, res.status, res.code())
	}
	fail := func(problem string) {
		w.failures[walkFailure{op, field, val.class, problem}]++
	}
	if res.status == 0 {
		fail("no answer: " + res.body)
		return
	}
	if res.status >= 500 {
		fail(fmt.Sprintf("status %d", res.status))
		return
	}
	if res.status >= 400 {
		if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			fail(fmt.Sprintf("%d with Content-Type %q", res.status, ct))
		} else if res.code() == "" {
			fail(fmt.Sprintf("%d problem without a code", res.status))
		}
		if echoes(res.body, val.echo) {
			fail(fmt.Sprintf("%d %s echoes the value", res.status, res.code()))
		}
		return
	}
	if !strings.HasPrefix(op, "syncPush") || res.status != 200 {
		return
	}
	var out struct {
		Results []struct {
			Status  string          `json:"status"`
			Problem json.RawMessage `json:"problem"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(res.body), &out); err != nil {
		fail("push answer is not JSON")
		return
	}
	for _, r := range out.Results {
		var p struct {
			Code   string `json:"code"`
			Status int    `json:"status"`
		}
		json.Unmarshal(r.Problem, &p)
		switch {
		case r.Status == "retry":
			fail("mutation answered retry (a server failure)")
		case r.Status == "rejected" && (p.Code == "" || p.Code == "internal"):
			fail(fmt.Sprintf("mutation rejected with code %q", p.Code))
		case r.Status == "rejected" && echoes(string(r.Problem), val.echo):
			fail(fmt.Sprintf("mutation rejected %d %s echoes the value", p.Status, p.Code))
		}
	}
}

// echoes reports whether a refusal repeats value; a conflict's current
// entity may hold it legitimately and is not looked at.
func echoes(body, value string) bool {
	if value == "" {
		return false
	}
	var p map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &p) == nil {
		delete(p, "current")
		b, _ := json.Marshal(p)
		body = string(b)
	}
	return strings.Contains(body, value) || strings.Contains(body, strings.Trim(jsonText(value), `"`))
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// report fails the test once per failing (operation, field, value class,
// problem), sorted.
func (w *walker) report() {
	w.t.Logf("%d requests", w.sent)
	keys := make([]walkFailure, 0, len(w.failures))
	for k := range w.failures {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return a.op+"\x00"+a.field+"\x00"+a.class+"\x00"+a.problem < b.op+"\x00"+b.field+"\x00"+b.class+"\x00"+b.problem
	})
	for _, k := range keys {
		w.t.Errorf("%s %s = %s: %s", k.op, k.field, k.class, k.problem)
	}
}

// lookup returns the value at path in v (nil when absent).
func lookup(v any, path []string) any {
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			if k != "[]" || len(x) == 0 {
				return nil
			}
			v = x[0]
		default:
			return nil
		}
	}
	return v
}

// setPath puts value at path in v and returns v, making the objects and
// one-element arrays ("[]": the first element, the baseline's if any) on
// the way.
func setPath(v any, path []string, value any) any {
	if len(path) == 0 {
		return value
	}
	if path[0] == "[]" {
		var elem any
		if arr, ok := v.([]any); ok && len(arr) > 0 {
			elem = arr[0]
		}
		return []any{setPath(elem, path[1:], value)}
	}
	m, ok := v.(map[string]any)
	if !ok {
		m = map[string]any{}
	}
	m[path[0]] = setPath(m[path[0]], path[1:], value)
	return m
}
