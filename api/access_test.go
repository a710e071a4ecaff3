package api_test

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/care"
	"tsunagu/internal/photo/phototest"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// Kinds of operation, by what reaching them takes.
const (
	kPublic    = "public"    // no session
	kSelf      = "self"      // the caller's own account
	kDirectory = "directory" // any full session (caseload, directories, registering a patient)
	kAdmin     = "admin"     // network or facility administrators
	kPatient   = "patient"   // a patient the caller reaches (team member)
	kManage    = "manage"    // edit a patient's demographics, consent or team
	kChart     = "chart"     // chart content: clinical professions on the team
)

type accessCase struct {
	kind string
	body func(r *region) any
	// expiredOK lists statuses accepted for a session whose password expired
	// (only the password change and the own account stay reachable).
	expiredOK []int
	// raw, when set, is sent as the body with contentType instead of JSON.
	raw         []byte
	contentType string
	// query is appended to the path.
	query func(r *region) string
}

// accessCases has one entry for every operation of the OpenAPI document;
// TestEveryOperationAccess fails when an operation has none.
var accessCases = map[string]accessCase{
	"signIn":  {kind: kPublic},
	"signOut": {kind: kPublic},
	"getMe":   {kind: kSelf, expiredOK: []int{200}},
	"changePassword": {kind: kSelf, body: func(*region) any {
		return map[string]any{"current_password": "wrong-password-x", "new_password": "another-long-password-1"}
	}, expiredOK: []int{422}},
	"startTOTP":      {kind: kSelf},
	"confirmTOTP":    {kind: kSelf, body: func(*region) any { return map[string]any{"code": "123456"} }},
	"listFacilities": {kind: kDirectory},
	"listUsers":      {kind: kDirectory},
	"listPatients":   {kind: kDirectory},
	"createPatient": {kind: kDirectory, body: func(*region) any {
		return map[string]any{"name": "見本 別人", "name_kana": "ミホン ベツジン", "birth_date": "1950-01-01", "sex": "male", "address": "架空", "phone": ""}
	}},
	"createFacility": {kind: kAdmin, body: func(*region) any {
		return map[string]any{"name": "新施設", "name_kana": "シンシセツ", "kind": "clinic"}
	}},
	"createUser": {kind: kAdmin, body: func(r *region) any {
		return map[string]any{"login_id": "new.staff", "name": "新人", "name_kana": "シンジン", "profession": "nurse", "facility_id": r.clinic, "password": "a-long-initial-password"}
	}},
	"updateUser": {kind: kAdmin, body: func(*region) any { return map[string]any{"name": "改名"} }},
	"listAudit":  {kind: kAdmin},

	// Admin API: a facility's fields, and the credential resets (the
	// vertical rules of the resets are in users_reset_test.go).
	"updateFacility": {kind: kAdmin, body: func(*region) any { return map[string]any{"name": "改称施設"} }},
	"resetPassword":  {kind: kAdmin},
	"resetTOTP":      {kind: kAdmin},

	"getPatient": {kind: kPatient},
	"getTeam":    {kind: kPatient},
	"updatePatient": {kind: kManage, body: func(*region) any {
		return map[string]any{"version": 1, "name": "見本 変更", "name_kana": "ミホン ヘンコウ", "birth_date": "1940-02-03", "sex": "female", "address": "架空", "phone": ""}
	}},
	"getAccessLog":     {kind: kManage},
	"createConsent":    {kind: kManage, body: func(*region) any { return map[string]any{"obtained_on": "2026-11-02", "scope": "full"} }},
	"withdrawConsent":  {kind: kManage, body: func(*region) any { return map[string]any{"reason": "テスト"} }},
	"addTeamMember":    {kind: kManage, body: func(r *region) any { return map[string]any{"user_id": r.outsider.ID, "role": "other"} }},
	"removeTeamMember": {kind: kManage},
	"syncPull":         {kind: kDirectory},
	"syncPush": {kind: kDirectory, body: func(*region) any {
		return map[string]any{"device_id": "01900000-0000-7000-8000-0000000000d1", "mutations": []any{}}
	}},
	"registerDevice": {kind: kDirectory, body: func(*region) any { return map[string]any{"device_id": "01900000-0000-7000-8000-0000000000d2"} }},
	"getPushKey":     {kind: kDirectory},
	"subscribePush": {kind: kSelf, body: func(*region) any {
		return map[string]any{"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": map[string]any{"p256dh": strings.Repeat("A", 87), "auth": strings.Repeat("A", 22)}}
	}},
	"unsubscribePush": {kind: kSelf, body: func(*region) any { return map[string]any{"endpoint": "https://fcm.googleapis.com/fcm/send/x"} }},
	// The region's attachment is a photo in the doctor's note: it is read
	// exactly as the note is. Uploaded again with the same image, it
	// answers the stored row only to one who reads it.
	"uploadAttachment": {kind: kChart, raw: accessPhoto, contentType: "image/jpeg",
		query: func(r *region) string { return "?patient_id=" + r.patientID }},
	"getAttachment":          {kind: kChart},
	"getAttachmentThumbnail": {kind: kChart},
	"listPatientVisits":      {kind: kPatient, query: func(*region) string { return "?from=2026-11-01&to=2026-11-30" }},
	"createVisit": {kind: kPatient, body: func(r *region) any {
		return map[string]any{"kind": "care_service", "assignee_ids": []string{r.helper.ID}, "starts_at": "2026-11-24T10:00:00+09:00", "ends_at": "2026-11-24T11:00:00+09:00"}
	}},
	"getVisit":           {kind: kPatient},
	"updateVisit":        {kind: kPatient, body: func(*region) any { return map[string]any{"base_version": 1, "status": "done"} }},
	"listMyVisits":       {kind: kDirectory, query: func(*region) string { return "?from=2026-11-23&to=2026-11-29&scope=team" }},
	"createCalendarFeed": {kind: kSelf},
	"deleteCalendarFeed": {kind: kSelf},
	// The feed takes no session: its token authorises (TestCalendarFeed).
	"getCalendarFeed": {kind: kPublic},
	"listRecords":     {kind: kPatient},
	"createRecord": {kind: kChart, body: func(*region) any {
		return map[string]any{"id": newID(), "kind": "nursing_visit", "occurred_at": "2026-11-20T09:00:00Z", "text": "訪問"}
	}},
	"getRecord": {kind: kChart},
	"amendRecord": {kind: kChart, body: func(*region) any {
		return map[string]any{"reason": "追記", "base_version": 1, "text": "追記あり"}
	}},
	"markRecordRead": {kind: kChart},
	"getUnread":      {kind: kDirectory},
	// Every signed-in user has a (possibly empty) list of records to
	// confirm; it holds only records they read (TestConfirmationsList).
	"listConfirmations": {kind: kDirectory},
	// C: record search. Across the caller's patients: any session, results
	// only of records they read (TestSearchRecords, the random-team
	// property in TestPullNeverLeaksDeniedPatients).
	"searchRecords": {kind: kDirectory, query: func(*region) string { return "?q=%E8%A8%AA%E5%95%8F" /* 訪問 */ }},

	// Only the author confirms: the region's record is the nurse's own (the
	// nurse would get 409 confirmation_not_required; TestConfirmRecord).
	"confirmRecord": {kind: kChart, body: func(*region) any { return map[string]any{"version": 1} }},

	// E-mail notification and preferences (slice H): the caller's own;
	// the server of the sweep has no SMTP server, so registering answers
	// 409 mail_not_configured (TestMailNotifications runs them with one).
	"setMyEmail":                 {kind: kSelf, body: func(*region) any { return map[string]any{"address": "someone@example.jp"} }},
	"confirmMyEmail":             {kind: kSelf, body: func(*region) any { return map[string]any{"token": strings.Repeat("A", 43)} }},
	"deleteMyEmail":              {kind: kSelf},
	"getNotificationPreferences": {kind: kSelf},
	"putNotificationPreferences": {kind: kSelf, body: func(*region) any { return testPrefs("push", false, "22:00", "07:00") }},
	// The digest is every signed-in user's own (possibly empty) view of
	// their caseload; seen moves only the caller's (TestDigestSinceLastLooked).
	"getDigest":      {kind: kDirectory},
	"markDigestSeen": {kind: kSelf, body: func(*region) any { return map[string]any{"until": "2020-01-01T00:00:00Z"} }},
	// The 加算 report of a patient's month: any team member, from what they
	// read (TestCollaborationReport).
	"getCollaborationReport": {kind: kPatient, query: func(*region) string { return "?month=2026-11" }},

	// Misuse alerts: administrators only (TestAlertsAPI).
	"listAlerts":       {kind: kAdmin},
	"acknowledgeAlert": {kind: kAdmin, body: func(*region) any { return map[string]any{"note": "確認"} }},

	// slice A (forms): the vital-sign table, the same for every signed-in user (TestVitalRanges).
	"getVitalRanges": {kind: kDirectory},

	// The team channel (連絡) is read at the shared level: the care worker
	// on the team writes, reads, moves her read pointer and retracts her
	// own message (the region's message is hers); only the author
	// retracts (TestChannelWriteReadRetract). Mentions are every signed-in
	// user's own list.
	"listMessages":     {kind: kPatient},
	"createMessage":    {kind: kPatient, body: func(*region) any { return map[string]any{"id": newID(), "text": "連絡です"} }},
	"markMessagesRead": {kind: kPatient, body: func(r *region) any { return map[string]any{"up_to": r.messageID} }},
	"retractMessage":   {kind: kPatient},
	"listMentions":     {kind: kDirectory},
	// Staff messages (スタッフ連絡): no patient. kStaff operations reach
	// only the thread's participants: the thread in the path is the care
	// service's (fill), whose only staff is the helper, and the photo is
	// the helper's there (staffAccessFixture); TestStaffOperationsAccess
	// checks the others' 404 and the helper's answer for each.
	"createStaffMessage": {kind: kStaff, body: func(r *region) any {
		return map[string]any{"id": newID(), "facility_id": r.service, "text": "申し送り"}
	}},
	"listStaffThreads":  {kind: kDirectory},
	"listStaffMessages": {kind: kStaff, query: func(r *region) string { staffAccessFixture(r); return "" }},
	"markStaffThreadRead": {kind: kStaff, body: func(r *region) any {
		staffAccessFixture(r)
		return map[string]any{"up_to": staffAccessMessage}
	}},
	"uploadStaffAttachment": {kind: kStaff, raw: accessPhoto, contentType: "image/jpeg",
		query: func(r *region) string { staffAccessFixture(r); return "" }},
	"getStaffAttachment":          {kind: kStaff, query: func(r *region) string { staffAccessFixture(r); return "" }},
	"getStaffAttachmentThumbnail": {kind: kStaff, query: func(r *region) string { staffAccessFixture(r); return "" }},
	// FHIR export: a patient's bundle is a read of what the caller reads
	// (TestFHIRExport); a facility's Bulk Data export is started by its
	// admins or the network office (TestFHIRBulkExportAccess).
	"exportPatientFHIR":       {kind: kPatient},
	"getFacilityFHIRManifest": {kind: kAdmin},
	"getFacilityFHIRFile":     {kind: kAdmin},
	// Care-plan data (careplan*.go): the caller's own facility's import and
	// export — a facility without a 介護保険事業所番号 (the outsider's) answers
	// 409 office_number_missing; rows match only patients the caller reaches
	// (TestCareplanImport, TestCareplanRefusals).
	"previewCareplan":       {kind: kSelf, raw: accessPlanFile, contentType: "text/csv", query: func(*region) string { return "?filename=" + accessPlanName }},
	"importCareplan":        {kind: kSelf, raw: accessPlanFile, contentType: "text/csv", query: func(*region) string { return "?filename=" + accessPlanName }},
	"listCareplanOffices":   {kind: kDirectory, query: func(*region) string { return "?month=2026-11" }},
	"exportCareplanActuals": {kind: kSelf, query: func(*region) string { return "?month=2026-11&to=" + cmOffice + "&service_type=13" }},
}

// accessPlanName and accessPlanFile are a 第6表 予定 file of the sweep.
var (
	accessPlanName = "UPPLAN_202611_" + cmOffice + "_" + stationOffice + "_20261101090000.CSV"
	accessPlanFile = planFile(nil, nurseRow("202611", 24))
)

// request is the path (parameters filled, query appended) and JSON body
// with which the sweeps send operation o of this case on region r: the
// case's body, or an empty object for a write that takes one.
func (c accessCase) request(o operation, r *region) (string, any) {
	path := fill(o.path, r)
	if c.query != nil {
		path += c.query(r)
	}
	var body any
	if c.body != nil {
		body = c.body(r)
	} else if o.method == http.MethodPost || o.method == http.MethodPut || o.method == http.MethodPatch {
		body = map[string]any{}
	}
	return path, body
}

// accessPhoto is the image of the region's attachment in the access test.
var accessPhoto = phototest.JPEG(phototest.Halves(40, 20))

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// fill replaces the path parameters of an operation with the region's ids.
func fill(path string, r *region) string {
	return pathParam.ReplaceAllStringFunc(path, func(p string) string {
		switch p {
		case "{id}":
			if strings.HasPrefix(path, "/api/v1/users/") {
				return r.doctor.ID
			}
			if strings.HasPrefix(path, "/api/v1/staff/attachments/") {
				return staffAccessAttachment
			}
			if strings.HasPrefix(path, "/api/v1/attachments/") {
				return r.attachmentID
			}
			if strings.HasPrefix(path, "/api/v1/visits/") {
				return r.visitID
			}
			if strings.HasPrefix(path, "/api/v1/records/") {
				return r.recordID
			}
			if strings.HasPrefix(path, "/api/v1/messages/") {
				if r.messageID == "" { // a region without a message: an id nobody holds
					return "01900000-0000-7000-8000-00000000a0a0"
				}
				return r.messageID
			}
			if strings.HasPrefix(path, "/api/v1/facilities/") {
				return r.clinic
			}
			return r.patientID
		case "{cid}":
			return r.consentID
		case "{user_id}":
			return r.nurse.ID
		case "{thread_id}": // staff messages: the care service's thread
			return r.service
		case "{type}":
			return "Patient"
		}
		return "00000000-0000-7000-8000-000000000000"
	})
}

type operation struct{ id, method, path string }

func operations(h *harness) []operation {
	var ops []operation
	for path, item := range h.hapi.OpenAPI().Paths {
		for _, mo := range []struct {
			m string
			o *huma.Operation
		}{{"GET", item.Get}, {"POST", item.Post}, {"PUT", item.Put}, {"PATCH", item.Patch}, {"DELETE", item.Delete}} {
			if mo.o != nil {
				ops = append(ops, operation{id: mo.o.OperationID, method: mo.m, path: path})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	return ops
}

// TestEveryOperationAccess walks every operation in the OpenAPI document
// and checks it for a user off the team, a non-clinical team member, a
// suspended account and an expired password: the right status, and never
// the patient's data in the body.
func TestEveryOperationAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		r.attachmentID = h.mustAttachment(r.doctorC, r.patientID, accessPhoto)
		r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "fields": map[string]any{"instruction": "創部観察"},
			"attachment_ids": []string{r.attachmentID}})
		// A visit for the operations on /visits/{id}.
		var v struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
			"starts_at": "2026-11-23T10:00:00+09:00", "ends_at": "2026-11-23T10:45:00+09:00", "note": "見本メモ"}).json(t, &v)
		r.visitID = v.ID
		r.messageID = r.helperC.mustMessage(t, r.patientID, map[string]any{"text": "見本の連絡"}).ID
		ops := operations(h)
		if len(ops) < len(accessCases) {
			t.Fatalf("OpenAPI lists %d operations, fewer than the %d cases", len(ops), len(accessCases))
		}
		outsiderC := h.signIn(r.outsider)
		suspended := h.mustUser(r.station, care.ProfNurse)
		suspendedC := h.signIn(suspended)
		if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`UPDATE app_user SET status = 'suspended' WHERE id = ?`), suspended.ID); err != nil {
			t.Fatal(err)
		}
		expired := h.mustUser(r.station, care.ProfNurse, func(u *store.User) { u.PasswordChangedAt = h.clock.Now().Add(-91 * 24 * time.Hour) })
		expiredC := h.anon()
		expiredC.who = "expired"
		if res := expiredC.do("POST", "/api/v1/session", map[string]any{"login_id": expired.LoginID, "password": testPassword}); res.status != 403 || res.code() != care.CodePasswordExpired {
			t.Fatalf("expired sign-in: %d %s", res.status, res.body)
		}
		// The same 404 for a patient that does not exist, to compare with.
		unknown := outsiderC.must(404, "GET", "/api/v1/patients/01900000-0000-7000-8000-000000000000", nil)

		for _, o := range ops {
			c, ok := accessCases[o.id]
			if !ok {
				t.Errorf("operation %s (%s %s) has no access case: add one to accessCases", o.id, o.method, o.path)
				continue
			}
			if c.kind == kPublic {
				continue
			}
			path, body := c.request(o, r)
			check := func(who string, cl *client, want ...int) {
				t.Helper()
				var res response
				if c.raw != nil {
					res = cl.raw(o.method, path, c.contentType, c.raw)
				} else {
					res = cl.do(o.method, path, body)
				}
				if !containsInt(want, res.status) {
					t.Errorf("%s %s as %s: status %d, want %v: %s", o.id, path, who, res.status, want, res.body)
				}
				if res.status >= 400 && strings.Contains(res.body, canaryName) {
					t.Errorf("%s as %s: refusal leaks the patient's name: %s", o.id, who, res.body)
				}
				if res.status == 404 && stripRequestID(res.body) != stripRequestID(unknown.body) {
					t.Errorf("%s as %s: 404 differs from an unknown id's: %s vs %s", o.id, who, res.body, unknown.body)
				}
				if res.status >= 500 {
					t.Errorf("%s as %s: server error %s", o.id, who, res.body)
				}
			}
			t.Run(o.id, func(t *testing.T) {
				check("suspended", suspendedC, 401)
				if c.expiredOK != nil {
					check("expired", expiredC, c.expiredOK...)
				} else {
					check("expired", expiredC, 403)
				}
				switch c.kind {
				case kSelf:
					check("outsider", outsiderC, 200, 201, 204, 409, 422)
				case kDirectory:
					check("outsider", outsiderC, 200, 201, 204)
				case kAdmin:
					check("outsider", outsiderC, 403)
					check("non-clinical member", r.helperC, 403)
				case kPatient:
					check("outsider", outsiderC, 404)
					check("non-clinical member", r.helperC, 200, 201, 204)
				case kManage:
					check("outsider", outsiderC, 404)
					check("non-clinical member", r.helperC, 403)
				case kChart:
					check("outsider", outsiderC, 404)
					check("non-clinical member", r.helperC, 403)
				}
			})
		}
		// The caseload and the pull of the outsider never carry the patient.
		for _, path := range []string{"/api/v1/patients", "/api/v1/sync/pull"} {
			if res := outsiderC.must(200, "GET", path, nil); strings.Contains(res.body, r.patientID) || strings.Contains(res.body, canaryName) {
				t.Errorf("outsider's %s carries the patient: %s", path, res.body)
			}
		}
		// Each refusal of a patient operation is in the audit log.
		var denied int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &denied, `SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND result = 'denied' AND patient_id = ?`, r.outsider.ID, r.patientID)
		})
		if denied == 0 {
			t.Error("the outsider's refused attempts were not audited")
		}
	})
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

var requestIDField = regexp.MustCompile(`"request_id":"[^"]*"`)

func stripRequestID(s string) string { return requestIDField.ReplaceAllString(s, "") }
