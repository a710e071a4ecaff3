package api

import (
	"context"
	"net/http"

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
	register(s, api, op("createUser", http.MethodPost, v1+"/users", "admin", "Create a staff account", session, 201), s.createUser)
	register(s, api, op("listUsers", http.MethodGet, v1+"/users", "admin", "Staff directory", session), s.listUsers)
	register(s, api, op("updateUser", http.MethodPatch, v1+"/users/{id}", "admin", "Change roles, status or password of an account", session), s.updateUser)
	register(s, api, op("listAudit", http.MethodGet, v1+"/audit", "admin", "Query the audit log", session), s.listAudit)

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

	// records (記録) and read receipts
	register(s, api, op("listRecords", http.MethodGet, v1+"/patients/{id}/records", "records", "A patient's timeline, newest first", session), s.listRecords)
	register(s, api, op("createRecord", http.MethodPost, v1+"/patients/{id}/records", "records", "Write a record (version 1)", session, 201), s.createRecord)
	register(s, api, op("getRecord", http.MethodGet, v1+"/records/{id}", "records", "A record with every version and its readers", session), s.getRecord)
	register(s, api, op("amendRecord", http.MethodPost, v1+"/records/{id}/amendments", "records", "Amend a record (a new version)", session, 201), s.amendRecord)
	register(s, api, op("markRecordRead", http.MethodPost, v1+"/records/{id}/read", "records", "Mark a record read (既読)", session), s.markRecordRead)
	register(s, api, op("getUnread", http.MethodGet, v1+"/me/unread", "records", "Unread records per patient", session), s.unread)
}

func op(id, method, path, tag, summary string, security []map[string][]string, status ...int) huma.Operation {
	o := huma.Operation{OperationID: id, Method: method, Path: path, Tags: []string{tag}, Summary: summary, Security: security,
		MaxBodyBytes: 1 << 20}
	if len(status) > 0 {
		o.DefaultStatus = status[0]
	}
	o.Errors = []int{400, 401, 403, 404, 409, 422, 429}
	return o
}

// register adds an operation whose errors all pass through Server.problem,
// the one place application errors become HTTP problems.
func register[I, O any](s *Server, api huma.API, o huma.Operation, h func(context.Context, *I) (*O, error)) {
	huma.Register(api, o, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			return nil, s.problem(ctx, err)
		}
		return out, nil
	})
}
