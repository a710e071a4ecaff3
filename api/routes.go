package api

import (
	"context"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// routes registers every operation of the API. Read this function to see
// the whole surface; the handlers live in one file per resource.
func (s *Server) routes(api huma.API) {
	const v1 = "/api/v1"
	public := []map[string][]string{}
	session := []map[string][]string{{"session": {}}}

	// session and own account
	register(s, api, op("signIn", http.MethodPost, v1+"/session", "session", "Sign in", public), s.signIn)
	register(s, api, op("signOut", http.MethodDelete, v1+"/session", "session", "Sign out", public, 204), s.signOut)
	register(s, api, op("getMe", http.MethodGet, v1+"/me", "session", "The signed-in user", session), s.me)
	register(s, api, op("changePassword", http.MethodPut, v1+"/me/password", "session", "Change own password", session), s.changePassword)
	register(s, api, op("startTOTP", http.MethodPost, v1+"/me/totp", "session", "Start TOTP enrolment", session), s.startTOTP)
	register(s, api, op("confirmTOTP", http.MethodPost, v1+"/me/totp/confirm", "session", "Confirm TOTP enrolment", session), s.confirmTOTP)

	// administration
	register(s, api, op("createFacility", http.MethodPost, v1+"/facilities", "admin", "Register a facility (network admin)", session, 201), s.createFacility)
	register(s, api, op("listFacilities", http.MethodGet, v1+"/facilities", "admin", "Facility directory", session), s.listFacilities)
	register(s, api, op("updateFacility", http.MethodPatch, v1+"/facilities/{id}", "admin", "Edit a facility's name, kind or disclosure (network admin)", session), s.updateFacility)
	register(s, api, op("createUser", http.MethodPost, v1+"/users", "admin", "Create a staff account", session, 201), s.createUser)
	register(s, api, op("listUsers", http.MethodGet, v1+"/users", "admin", "Staff directory", session), s.listUsers)
	register(s, api, op("updateUser", http.MethodPatch, v1+"/users/{id}", "admin", "Change roles, status or password of an account", session), s.updateUser)
	register(s, api, op("resetPassword", http.MethodPost, v1+"/users/{id}/password-reset", "admin", "Give an account a temporary password (sessions end)", session), s.resetPassword)
	register(s, api, op("resetTOTP", http.MethodPost, v1+"/users/{id}/totp-reset", "admin", "Forget an account's TOTP secret (sessions end)", session), s.resetTOTP)
	register(s, api, op("listAudit", http.MethodGet, v1+"/audit", "admin", "Query the audit log", session), s.listAudit)
	register(s, api, op("listAlerts", http.MethodGet, v1+"/alerts", "admin", "Misuse alerts (network admins: all; facility admins: their staff's)", session), s.listAlerts)
	register(s, api, op("acknowledgeAlert", http.MethodPost, v1+"/alerts/{id}/acknowledge", "admin", "Acknowledge a misuse alert with a note", session), s.acknowledgeAlert)

	// patients, consent, team
	register(s, api, op("createPatient", http.MethodPost, v1+"/patients", "patients", "Register a patient", session, 201), s.createPatient)
	register(s, api, op("listPatients", http.MethodGet, v1+"/patients", "patients", "My caseload", session), s.listPatients)
	register(s, api, op("getPatient", http.MethodGet, v1+"/patients/{id}", "patients", "A patient with consents", session), s.getPatient)
	register(s, api, op("updatePatient", http.MethodPatch, v1+"/patients/{id}", "patients", "Edit demographics", session), s.updatePatient)
	register(s, api, op("getAccessLog", http.MethodGet, v1+"/patients/{id}/access-log", "patients", "Who viewed this patient", session), s.accessLog)
	register(s, api, op("createConsent", http.MethodPost, v1+"/patients/{id}/consents", "patients", "Record a consent", session, 201), s.createConsent)
	register(s, api, op("withdrawConsent", http.MethodPost, v1+"/patients/{id}/consents/{cid}/withdraw", "patients", "Withdraw a consent", session), s.withdrawConsent)
	register(s, api, op("getTeam", http.MethodGet, v1+"/patients/{id}/team", "patients", "The care team", session), s.getTeam)
	register(s, api, op("addTeamMember", http.MethodPost, v1+"/patients/{id}/team", "patients", "Add a team member", session, 201), s.addTeamMember)
	register(s, api, op("removeTeamMember", http.MethodDelete, v1+"/patients/{id}/team/{user_id}", "patients", "Remove a team member", session, 204), s.removeTeamMember)

	// sync and notifications (GET /api/v1/events, the SSE stream, is a plain handler in api.go)
	register(s, api, op("syncPush", http.MethodPost, v1+"/sync/push", "sync", "Apply queued mutations of a device", session), s.syncPush)
	pull := op("syncPull", http.MethodGet, v1+"/sync/pull", "sync", "Changes since a cursor", session)
	// The pull writes its JSON itself (pulljson.go); its schema is given here.
	pull.Responses = map[string]*huma.Response{"200": {Description: "OK", Content: map[string]*huma.MediaType{
		"application/json": {Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(PullOutputBody{}), true, "")}}}}
	register(s, api, pull, s.pull)
	register(s, api, op("registerDevice", http.MethodPost, v1+"/devices", "sync", "Register a device and get its data-key secret", session), s.registerDevice)
	register(s, api, op("getPushKey", http.MethodGet, v1+"/push/key", "notifications", "VAPID public key", session), s.pushKey)
	register(s, api, op("subscribePush", http.MethodPost, v1+"/push/subscriptions", "notifications", "Register a push subscription", session, 204), s.subscribe)
	register(s, api, op("unsubscribePush", http.MethodDelete, v1+"/push/subscriptions", "notifications", "Remove a push subscription", session, 204), s.unsubscribe)

	// attachments (photos, scanned forms); the signed downloads they answer
	// are served by the plain handler GET /blobs/{key...} (see New)
	upload := op("uploadAttachment", http.MethodPut, v1+"/attachments/{id}", "attachments", "Upload a photo or scanned document", session, 201)
	upload.Description = "The body is the image itself (JPEG, PNG or WebP; the format is recognised from the bytes, HEIC is refused with 415). " +
		"The server stores only a sanitized JPEG copy (orientation applied, all metadata removed) and a thumbnail. " +
		"201 when stored; 200 with the same answer when the same image is uploaded again under the same id; 409 when the id holds another image."
	upload.MaxBodyBytes = s.opt.Photo.MaxBytes
	upload.BodyReadTimeout = bodyReadTimeout(upload.MaxBodyBytes)
	upload.Errors = append(upload.Errors, 413, 415)
	register(s, api, upload, s.uploadAttachment)
	for _, ct := range []string{"image/png", "image/webp"} {
		api.OpenAPI().Paths[upload.Path].Put.RequestBody.Content[ct] = &huma.MediaType{Schema: &huma.Schema{Type: "string", Format: "binary"}}
	}
	get := op("getAttachment", http.MethodGet, v1+"/attachments/{id}", "attachments", "A short-lived download URL of an attachment", session)
	get.Description = "Authorised and audited per request. The URL expires after 5 minutes; with redirect=1 the answer is 303 See Other to it."
	register(s, api, get, s.getAttachment)
	thumb := op("getAttachmentThumbnail", http.MethodGet, v1+"/attachments/{id}/thumbnail", "attachments", "A short-lived download URL of an attachment's thumbnail", session)
	thumb.Description = get.Description
	register(s, api, thumb, s.getAttachmentThumbnail)

	// calendar (診療カレンダー)
	register(s, api, op("listPatientVisits", http.MethodGet, v1+"/patients/{id}/visits", "calendar", "A patient's calendar by day, with the day's records", session), s.listPatientVisits)
	register(s, api, op("createVisit", http.MethodPost, v1+"/patients/{id}/visits", "calendar", "Plan a visit or a weekly series", session, 201), s.createVisit)
	register(s, api, op("getVisit", http.MethodGet, v1+"/visits/{id}", "calendar", "A visit with its exceptions and history", session), s.getVisit)
	register(s, api, op("updateVisit", http.MethodPatch, v1+"/visits/{id}", "calendar", "Change a visit, a series or one occurrence (base_version)", session), s.updateVisit)
	register(s, api, op("listMyVisits", http.MethodGet, v1+"/me/visits", "calendar", "My visits, or my patients' visits (scope=team)", session), s.listMyVisits)
	register(s, api, op("createCalendarFeed", http.MethodPost, v1+"/me/calendar-feed", "calendar", "Make or rotate my iCalendar feed URL", session), s.createCalendarFeed)
	register(s, api, op("deleteCalendarFeed", http.MethodDelete, v1+"/me/calendar-feed", "calendar", "Revoke my iCalendar feed", session, 204), s.deleteCalendarFeed)
	feed := op("getCalendarFeed", http.MethodGet, "/calendar/{token}.ics", "calendar", "A user's visits as iCalendar, without patient data (the token authorises)", public)
	feed.Responses = calendarFeedResponses
	feed.Errors = []int{404}
	register(s, api, feed, s.calendarFeed)

	// records (記録) and read receipts
	timeline := op("listRecords", http.MethodGet, v1+"/patients/{id}/records", "records", "A patient's timeline, newest first", session)
	// The timeline writes its JSON itself (records_lists.go); its schema is given here.
	timeline.Responses = map[string]*huma.Response{"200": {Description: "OK", Content: map[string]*huma.MediaType{
		"application/json": {Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(TimelineOutputBody{}), true, "")}}}}
	register(s, api, timeline, s.listRecords)
	register(s, api, op("createRecord", http.MethodPost, v1+"/patients/{id}/records", "records", "Write a record (version 1)", session, 201), s.createRecord)
	register(s, api, op("getRecord", http.MethodGet, v1+"/records/{id}", "records", "A record with every version and its readers", session), s.getRecord)
	register(s, api, op("amendRecord", http.MethodPost, v1+"/records/{id}/amendments", "records", "Amend a record (a new version)", session, 201), s.amendRecord)
	register(s, api, op("markRecordRead", http.MethodPost, v1+"/records/{id}/read", "records", "Mark a record read (既読)", session), s.markRecordRead)
	register(s, api, op("confirmRecord", http.MethodPost, v1+"/records/{id}/confirm", "records", "Confirm a version entered by someone else (代行入力の確定; the author only)", session), s.confirmRecord)
	// E-mail notification and preferences (slice H).
	register(s, api, op("setMyEmail", http.MethodPut, v1+"/me/email", "session", "Register my e-mail address (a confirmation link is sent)", session), s.setMyEmail)
	register(s, api, op("confirmMyEmail", http.MethodPost, v1+"/me/email/confirm", "session", "Confirm my e-mail address with the token of its link", session), s.confirmMyEmail)
	register(s, api, op("deleteMyEmail", http.MethodDelete, v1+"/me/email", "session", "Forget my e-mail address", session, 204), s.deleteMyEmail)
	register(s, api, op("getNotificationPreferences", http.MethodGet, v1+"/me/notification-preferences", "session", "My notification preferences", session), s.getPreferences)
	register(s, api, op("putNotificationPreferences", http.MethodPut, v1+"/me/notification-preferences", "session", "Replace my notification preferences", session), s.putPreferences)
	register(s, api, op("getUnread", http.MethodGet, v1+"/me/unread", "records", "Unread records per patient", session), s.unread)
	register(s, api, op("listConfirmations", http.MethodGet, v1+"/me/confirmations", "records", "Records awaiting my confirmation (確定待ち), newest first", session), s.listConfirmations)
	register(s, api, op("searchRecords", http.MethodGet, v1+"/search/records", "records", "Search the records I read for Japanese words (2+ characters each), newest first", session), s.searchRecords) // C: record search

	// reference tables (slice A: forms): the vital-sign ranges the server validates and flags with
	register(s, api, op("getVitalRanges", http.MethodGet, v1+"/vitals/ranges", "records", "The vital-sign table: possible values and screening thresholds", session), s.vitalRanges)
	// the doctor's digest and the 在宅医療情報連携加算 report (digest.go, collab_report.go)
	register(s, api, op("getDigest", http.MethodGet, v1+"/me/digest", "records", "What is new across my patients since I last looked", session), s.getDigest)
	register(s, api, op("markDigestSeen", http.MethodPost, v1+"/me/digest/seen", "records", "Move my digest's last look forward", session), s.markDigestSeen)
	register(s, api, op("getCollaborationReport", http.MethodGet, v1+"/patients/{id}/collaboration-report", "records", "Items of 在宅医療情報連携加算 recorded in a month", session), s.getCollaborationReport)

	// the team channel (連絡): patient-scoped messages, read at the shared level (messages.go, messages_lists.go)
	register(s, api, op("listMessages", http.MethodGet, v1+"/patients/{id}/messages", "messages", "A patient's team channel, newest first", session), s.listMessages)
	register(s, api, op("createMessage", http.MethodPost, v1+"/patients/{id}/messages", "messages", "Write to a patient's team channel", session, 201), s.createMessage)
	register(s, api, op("markMessagesRead", http.MethodPost, v1+"/patients/{id}/messages/read", "messages", "Move my read pointer in a patient's team channel forward", session, 204), s.markMessagesRead)
	register(s, api, op("retractMessage", http.MethodPost, v1+"/messages/{id}/retract", "messages", "Retract my message (the history is kept)", session), s.retractMessage)
	register(s, api, op("listMentions", http.MethodGet, v1+"/me/mentions", "messages", "Messages that mention me across my patients, newest first", session), s.listMentions)
	// Staff messages (スタッフ連絡): one-to-one and facility threads outside any patient (staff_messages*.go)
	register(s, api, op("createStaffMessage", http.MethodPost, v1+"/staff/messages", "staff", "Write to a colleague or to my facility's staff", session, 201), s.createStaffMessage)
	register(s, api, op("listStaffThreads", http.MethodGet, v1+"/staff/threads", "staff", "My staff threads with unread counts", session), s.listStaffThreads)
	register(s, api, op("listStaffMessages", http.MethodGet, v1+"/staff/threads/{thread_id}/messages", "staff", "Messages of a staff thread, newest first", session), s.listStaffMessages)
	register(s, api, op("markStaffThreadRead", http.MethodPost, v1+"/staff/threads/{thread_id}/read", "staff", "Move my read position in a staff thread forward", session), s.markStaffThreadRead)
	staffUpload := op("uploadStaffAttachment", http.MethodPut, v1+"/staff/attachments/{id}", "staff", "Upload a photo for a staff message", session, 201)
	staffUpload.Description = "As PUT /attachments/{id}, without a patient: only a sanitized JPEG and a thumbnail are stored. Readable by the uploader until a message cites it, then by that message's thread."
	staffUpload.MaxBodyBytes = s.opt.Photo.MaxBytes
	staffUpload.BodyReadTimeout = bodyReadTimeout(staffUpload.MaxBodyBytes)
	staffUpload.Errors = append(staffUpload.Errors, 413, 415)
	register(s, api, staffUpload, s.uploadStaffAttachment)
	for _, ct := range []string{"image/png", "image/webp"} {
		api.OpenAPI().Paths[staffUpload.Path].Put.RequestBody.Content[ct] = &huma.MediaType{Schema: &huma.Schema{Type: "string", Format: "binary"}}
	}
	register(s, api, op("getStaffAttachment", http.MethodGet, v1+"/staff/attachments/{id}", "staff", "A short-lived download URL of a staff message's photo", session), s.getStaffAttachment)
	register(s, api, op("getStaffAttachmentThumbnail", http.MethodGet, v1+"/staff/attachments/{id}/thumbnail", "staff", "A short-lived download URL of a staff message's photo thumbnail", session), s.getStaffAttachmentThumbnail)
	// FHIR R4 export (JP Core-aligned): one patient as a Bundle, a facility as Bulk Data ndjson (fhir.go, fhir_bulk.go)
	fhirOp := op("exportPatientFHIR", http.MethodGet, v1+"/patients/{id}/fhir", "patients", "What I read of a patient as a FHIR R4 Bundle (audited export)", session)
	fhirOp.Responses = patientFHIRResponses
	register(s, api, fhirOp, s.exportPatientFHIR)
	register(s, api, op("getFacilityFHIRManifest", http.MethodGet, v1+"/facilities/{id}/fhir", "admin", "Bulk Data manifest of a facility's FHIR export (network or facility admin)", session), s.facilityFHIRManifest)
	bulkOp := op("getFacilityFHIRFile", http.MethodGet, v1+"/facilities/{id}/fhir/{type}", "admin", "One resource type of a facility's FHIR export as ndjson, streamed (what the caller reads of each patient)", session)
	bulkOp.Responses = bulkFileResponses
	register(s, api, bulkOp, s.facilityFHIRFile)
	// care-plan data standard (ケアプランデータ連携): a provider imports the month's
	// 第6表 予定 file into the calendar and sends back the 実績 file (careplan*.go)
	plan := op("previewCareplan", http.MethodPost, v1+"/careplan/plans/preview", "calendar", "What importing a 第6表 予定 file (UPPLAN) would do", session)
	plan.MaxBodyBytes = 2 << 20
	plan.BodyReadTimeout = bodyReadTimeout(plan.MaxBodyBytes)
	plan.Errors = append(plan.Errors, 413, 415)
	register(s, api, plan, s.previewCareplan)
	importPlan := plan
	importPlan.OperationID, importPlan.Path, importPlan.Summary = "importCareplan", v1+"/careplan/plans", "Import a 第6表 予定 file (UPPLAN) as visits, in one transaction"
	register(s, api, importPlan, s.importCareplan)
	register(s, api, op("listCareplanOffices", http.MethodGet, v1+"/careplan/offices", "calendar", "Care managers' offices whose plans of a month were imported", session), s.listCareplanOffices)
	actuals := op("exportCareplanActuals", http.MethodGet, v1+"/careplan/actuals", "calendar", "The month's 第6表 実績 file (UPJSK) for one care manager's office", session)
	actuals.Responses = careplanActualsResponses
	register(s, api, actuals, s.exportCareplanActuals)

	s.entityKinds()
}

func op(id, method, path, tag, summary string, security []map[string][]string, status ...int) huma.Operation {
	o := huma.Operation{OperationID: id, Method: method, Path: path, Tags: []string{tag}, Summary: summary, Security: security,
		MaxBodyBytes: 1 << 20, BodyReadTimeout: bodyReadTimeout(1 << 20)}
	if len(status) > 0 {
		o.DefaultStatus = status[0]
	}
	o.Errors = []int{400, 401, 403, 404, 409, 422, 429}
	return o
}

// minBodyRate is the slowest upload a body is waited for: 8 KiB/s, about
// what a weak mobile link on an island or in the mountains carries.
const minBodyRate = 8 << 10

// bodyReadTimeout is how long a body of up to maxBytes may take to arrive:
// sized to the limit at the minimum rate, and never under a minute. (The
// framework's default, 5 s, refused a sync batch on a slow link over and
// over, so the app's queue never drained.)
func bodyReadTimeout(maxBytes int64) time.Duration {
	return max(time.Minute, time.Duration(maxBytes/minBodyRate)*time.Second)
}

// register adds an operation whose errors all pass through Server.problem,
// the one place application errors become HTTP problems. Its input is
// checked for hidden characters (checkText) before the handler sees it, and
// its body's media type (requireMediaType) before huma reads it.
func register[I, O any](s *Server, api huma.API, o huma.Operation, h func(context.Context, *I) (*O, error)) {
	o.Middlewares = append(o.Middlewares, requireMediaType)
	huma.Register(api, o, func(ctx context.Context, in *I) (*O, error) {
		if err := checkDates(in); err != nil {
			return nil, s.problem(ctx, err)
		}
		if err := checkText(in); err != nil {
			return nil, s.problem(ctx, err)
		}
		out, err := h(ctx, in)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return out, nil
	})
}
