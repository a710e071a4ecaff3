package care

import "fmt"

// Error is Tsunagu's one application error: a stable code (which the API
// maps to an HTTP status and a user message in exactly one place), the
// input field it concerns if any, and an internal detail for logs only.
type Error struct {
	Code   string
	Field  string
	Detail string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (%s): %s", e.Code, e.Field, e.Detail)
	}
	if e.Detail != "" {
		return e.Code + ": " + e.Detail
	}
	return e.Code
}

// Is makes errors.Is match any *Error with the same code, so the sentinels
// below compare equal to errors built with Invalid or Errorf.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf builds an Error with a code and a detail for the log.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Invalid reports a field whose value breaks a rule.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeValidation, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// Stable error codes. The API maps each to a status and a message.
const (
	CodeValidation           = "validation_failed"
	CodeNotFound             = "not_found"
	CodeForbidden            = "forbidden"
	CodeChartForbidden       = "chart_forbidden"
	CodeConflict             = "conflict"
	CodeUnauthenticated      = "unauthenticated"
	CodeBadCredentials       = "invalid_credentials"
	CodeTooManyAttempts      = "too_many_attempts"
	CodeTOTPRequired         = "totp_required"
	CodeTOTPInvalid          = "totp_invalid"
	CodeTOTPReplayed         = "totp_replayed"
	CodeTOTPEnrolment        = "totp_enrolment_required"
	CodePasswordExpired      = "password_expired"
	CodePasswordChange       = "password_change_required"
	CodePasswordPolicy       = "password_policy"
	CodeAccountDormant       = "account_dormant"
	CodeAccountSuspended     = "account_suspended"
	CodeAccountRevoked       = "account_revoked"
	CodeLoginIDTaken         = "login_id_taken"
	CodeConsentRequired      = "consent_required"
	CodeAlreadyOnTeam        = "already_on_team"
	CodeConsentWithdrawn     = "consent_already_withdrawn"
	CodeSessionExpired       = "session_expired"
	CodeAdminOnly            = "admin_only"
	CodeUnsupportedFormat    = "unsupported_media_type"
	CodeCursorExpired        = "sync_reset_required"
	CodeSequenceGap          = "sequence_gap"
	CodeDeviceRevoked        = "device_revoked"
	CodeDeviceWipe           = "device_wipe"             // the device's account or the device itself was taken out of use: erase its data
	CodeImageTooLarge        = "image_too_large"         // over the byte limit of an upload
	CodeImageTooManyPx       = "image_too_many_pixels"   // width×height or an edge over the limit
	CodeImageCorrupt         = "image_corrupt"           // cannot be decoded (e.g. a truncated upload)
	CodeImageDecodedTooLarge = "image_decoded_too_large" // width×height×bytes per pixel over the decode memory limit
	CodeAttachmentIDTaken    = "attachment_id_taken"     // the id holds a different image
	CodeLinkExpired          = "link_expired"            // a signed download URL past its expiry
	CodeTooManyStreams       = "too_many_streams"        // the session or user holds as many event streams as allowed
	// 代行入力と確定 (authorship.go)
	CodeOnBehalfNotAllowed = "on_behalf_not_allowed"     // on_behalf_of names no one this record may be entered for
	CodeConfirmNotAllowed  = "confirmation_not_allowed"  // only the record's author confirms
	CodeConfirmNotRequired = "confirmation_not_required" // the author entered this version themselves
	// who may change whom (profession.go)
	CodeOwnAccount         = "own_account_change"       // profession, roles, facility, status, password or TOTP of one's own account through the admin operation
	CodeProfessionNotGiven = "profession_not_grantable" // the facility's kind does not employ the profession; the network office grants it
)

// Codes of consent and id rules (a block of their own keeps the list above
// as it is).
const (
	CodeConsentFormRequired = "consent_form_required" // a consent after a withdrawal cites no scanned form
	CodeIDTaken             = "id_taken"              // a create's client id is already used by another entity
)

// Codes of the facility rules (a block of their own keeps the lists above
// as they are).
const (
	CodeProfessionNotEmployed = "profession_not_employed" // a facility's new kind would not employ the profession of some of its staff
)

// Codes of care-team rules.
const (
	CodeMemberNotActive = "member_not_active" // a suspended, dormant or revoked account cannot join a care team
)

// Codes of misuse alerts (api/alerts.go).
const (
	CodeOwnAlert = "own_alert" // an alert about oneself is acknowledged by another administrator
)

// Codes of e-mail notification (api/me_email.go).
const (
	CodeMailDisabled      = "mail_not_configured" // the server has no SMTP server configured
	CodeEmailTokenInvalid = "email_token_invalid" // the confirmation token is wrong, used or expired
	CodeEmailTooSoon      = "email_too_soon"      // a confirmation mail went out less than a minute ago
)

// Sentinels for errors.Is.
var (
	ErrNotFound        = &Error{Code: CodeNotFound}
	ErrForbidden       = &Error{Code: CodeForbidden}
	ErrChartForbidden  = &Error{Code: CodeChartForbidden}
	ErrConflict        = &Error{Code: CodeConflict}
	ErrUnauthenticated = &Error{Code: CodeUnauthenticated}
	ErrValidation      = &Error{Code: CodeValidation}
)
