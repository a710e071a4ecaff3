package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// Problem is an RFC 9457 problem detail with Tsunagu's stable code. Detail
// is a message a user can act on, in the request's language; internal
// causes never reach it (they go to the log with the request id).
type Problem struct {
	Type      string              `json:"type,omitempty"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Code      string              `json:"code" doc:"Stable machine-readable error code"`
	RequestID string              `json:"request_id,omitempty"`
	Errors    []*huma.ErrorDetail `json:"errors,omitempty"`
	// Current is set on a 409 conflict of a versioned change: the entity as
	// it is now (for PATCH /visits/{id} a VisitDetail, for a stale record
	// confirmation a RecordDetail), so that the app can show both versions.
	Current any `json:"current,omitempty" doc:"on conflict: the current state of the entity (PATCH /visits/{id}: the visit with its exceptions; POST /records/{id}/confirm: the record with its versions)"`
}

func (p *Problem) Error() string  { return p.Code + ": " + p.Detail }
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes huma answer problems as application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

const (
	codeInternal    = "internal"
	codeCrossOrigin = "cross_origin"             // a state-changing request from another origin
	codeMediaType   = "unsupported_content_type" // a body of a type the operation does not take (photos: care.CodeUnsupportedFormat)
	codeUnavailable = "unavailable"              // the database cannot serve now (restarting, disk full): retry after Retry-After
)

type message struct {
	status int
	ja, en string
}

// messages is the one table from error code to HTTP status and user text.
var messages = map[string]message{
	care.CodeValidation:       {422, "入力内容に誤りがあります。表示された項目を確認してください。", "Some input is not valid; check the fields listed."},
	care.CodeNotFound:         {404, "見つかりません。", "Not found."},
	care.CodeForbidden:        {403, "この操作を行う権限がありません。", "You are not allowed to do this."},
	care.CodeChartForbidden:   {403, "診療記録を閲覧できる職種ではありません。", "Your profession may not read the clinical record."},
	care.CodeAdminOnly:        {403, "管理者だけが行える操作です。", "Only administrators may do this."},
	care.CodeConflict:         {409, "他の人が先に変更しました。最新の内容を確認してください。", "Someone changed this first; review the current version."},
	care.CodeUnauthenticated:  {401, "ログインしてください。", "Please log in."},
	care.CodeSessionExpired:   {401, "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。", "Your session ended; please log in again."},
	care.CodeBadCredentials:   {401, "ログインIDまたはパスワードが正しくありません。", "The login ID or password is not correct."},
	care.CodeTooManyAttempts:  {429, "ログインの失敗が続いたため、しばらく受け付けません。時間をおいてお試しください。", "Too many failed logins; try again later."},
	care.CodeTooManyStreams:   {429, "同時に開ける更新通知の接続数を超えました。使っていない画面を閉じてください。", "Too many live-update connections are open; close the screens you do not use."},
	care.CodeTOTPRequired:     {401, "認証アプリの6桁のコードを入力してください。", "Enter the 6-digit code from your authenticator app."},
	care.CodeTOTPInvalid:      {401, "確認コードが正しくありません。最新のコードを入力してください。", "The authentication code is not correct; enter the current code."},
	care.CodeTOTPReplayed:     {401, "この確認コードは使用済みです。次のコードが表示されるまでお待ちください。", "This code was already used; wait for the next one."},
	care.CodeTOTPEnrolment:    {403, "2段階認証の設定を完了してください。", "Finish setting up two-step login first."},
	care.CodePasswordExpired:  {403, "パスワードの有効期限が切れました。新しいパスワードを設定してください。", "Your password has expired; set a new one."},
	care.CodePasswordChange:   {403, "初回ログインです。新しいパスワードを設定してください。", "First login: set a new password."},
	care.CodePasswordPolicy:   {422, "このパスワードは使えません。長く推測されにくいものにしてください。", "This password cannot be used; choose a longer, less common one."},
	care.CodeAccountDormant:   {403, "長期間使用されていないため、アカウントが休止されています。所属施設の管理者に連絡してください。", "This account is dormant after long disuse; contact your facility administrator."},
	care.CodeAccountSuspended: {403, "アカウントが停止されています。所属施設の管理者に連絡してください。", "This account is suspended; contact your facility administrator."},
	care.CodeAccountRevoked:   {403, "アカウントは失効しています。", "This account has been revoked."},
	care.CodeLoginIDTaken:     {409, "このログインIDは既に使われています。", "This login ID is already in use."},
	care.CodeConsentRequired:  {409, "同意書の登録が必要です。", "A consent must be recorded first."},
	care.CodeAlreadyOnTeam:    {409, "既にケアチームのメンバーです。", "Already a member of the care team."},
	care.CodeConsentWithdrawn: {409, "この同意は既に撤回されています。", "This consent is already withdrawn."},
	care.CodeCursorExpired:    {410, "同期をやり直します。端末のデータを最新にしています。", "Sync must start afresh; refreshing the data on this device."},
	care.CodeSequenceGap:      {400, "送信待ちのデータの順序が崩れています。アプリを再起動してください。", "Queued changes are out of order; restart the app."},
	care.CodeDeviceRevoked:    {403, "この端末は利用できません。管理者に連絡してください。", "This device may no longer be used; contact your administrator."},
	care.CodeDeviceWipe:       {401, "この端末は利用できなくなったため、端末内のデータを消去します。所属施設の管理者に連絡してください。", "This device may no longer be used, so its data is being erased; contact your facility administrator."},
	care.CodeUnsupportedFormat: {415, "この形式のファイルは扱えません。写真はJPEG・PNG・WebPで送ってください。iPadのカメラの写真（HEIC）は、「設定」→「カメラ」→「フォーマット」で「互換性優先」を選んでから撮り直してください。",
		"This file format is not supported. Send photos as JPEG, PNG or WebP; for iPad camera photos (HEIC) choose Settings → Camera → Formats → Most Compatible and take the photo again."},
	care.CodeImageTooLarge:        {413, "画像が大きすぎます。20MB以下の画像にしてください。", "The image is too large; send at most 20 MB."},
	care.CodeImageTooManyPx:       {422, "画像の画素数が多すぎます。解像度を下げて撮影してください。", "The image has too many pixels; use a lower resolution."},
	care.CodeImageCorrupt:         {422, "画像が壊れているか、途中までしか届いていません。もう一度送ってください。", "The image is damaged or arrived incomplete; send it again."},
	care.CodeImageDecodedTooLarge: {422, "画像を展開すると処理できる大きさ（画素数×色深度）の上限を超えます。解像度を下げるか、通常の8ビットJPEGで送ってください。", "Decoded, this image would exceed the size the server processes (pixels × colour depth); send a lower resolution or an ordinary 8-bit JPEG."},
	care.CodeAttachmentIDTaken:    {409, "この添付ファイルIDは別の画像で使われています。", "This attachment id already holds a different image."},
	care.CodeLinkExpired:          {403, "リンクの有効期限が切れました。画面を開き直してください。", "This link has expired; open the item again."},
	"bad_request":                 {400, "リクエストの形式が正しくありません。", "The request is malformed."},
	"too_large":                   {413, "データが大きすぎます。", "The request is too large."},
	"method_not_allowed":          {405, "この操作はできません。", "Method not allowed."},
	codeCrossOrigin:               {403, "他のサイトからの操作は受け付けません。つなぐの画面から操作してください。", "Requests from other sites are refused; use the Tsunagu app itself."},
	codeMediaType:                 {415, "リクエストの形式（Content-Type）が正しくありません。", "The request's Content-Type is not accepted here."},
	codeUnavailable:               {503, "サーバーが一時的に利用できません。しばらくしてから自動的に再送します。", "The server is briefly unavailable; try again shortly."},
	codeInternal:                  {500, "サーバーで問題が起きました。時間をおいてもう一度お試しください。", "Something went wrong on the server; please try again."},

	// who entered and who confirmed a record (代行入力と確定)
	care.CodeOnBehalfNotAllowed: {422, "この人の代わりには入力できません。代行入力できるのは、同じ施設のケアチームメンバーで、この種類の記録を書ける人の分だけです。",
		"You cannot enter this record for that person: proxy entry is only for care-team members of your own facility who may write this kind of record."},
	care.CodeConfirmNotAllowed:  {403, "記録の確定は、記録の責任者（代行入力を依頼した本人）だけが行えます。", "Only the record's author (the person it was entered for) can confirm it."},
	care.CodeConfirmNotRequired: {409, "この版は責任者本人が入力したため、確定は不要です。", "The author entered this version themselves; it needs no confirmation."},

	// consent after a withdrawal; a create's client id already in use
	care.CodeConsentFormRequired: {422, "同意の撤回後に改めて同意を登録するには、署名済みの同意書をスキャンして添付してください。",
		"A consent after a withdrawal needs the scanned, signed consent form attached."},
	care.CodeIDTaken: {409, "このIDは既に使われています。新しいIDで送り直してください。", "This id is already in use; send again with a new id."},
	// who may change whom (care/profession.go)
	care.CodeOwnAccount:         {403, "自分のアカウントの職種・権限・所属・状態・パスワード・2段階認証は、この操作では変更できません。他の管理者に依頼してください（パスワードは「パスワード変更」から）。", "You cannot change your own profession, roles, facility, status, password or two-step login here; ask another administrator (change your password under Change password)."},
	care.CodeProfessionNotGiven: {403, "この職種は施設の種別では付与できません。ネットワーク事務局に依頼してください。", "Your facility's kind does not employ this profession; the network office grants it."},
	// a facility's kind must employ every profession of its staff (care.Employs)
	care.CodeProfessionNotEmployed: {409, "この種別の施設では雇用しない職種の職員がいるため、種別を変更できません。先に該当する職員の職種を変更するか、アカウントを失効させてください。",
		"Some staff of this facility have a profession the new kind does not employ; change their profession or revoke their accounts first."},
	// care team (api/team.go)
	care.CodeMemberNotActive: {422, "利用停止中または失効したアカウントはケアチームに追加できません。", "A suspended or revoked account cannot join a care team."},

	// misuse alerts (alerts.go)
	// e-mail notification (slice H)
	care.CodeMailDisabled:      {409, "このサーバーではメール通知が使えません。管理者に問い合わせてください。", "E-mail notification is not available on this server; ask your administrator."},
	care.CodeEmailTokenInvalid: {422, "確認リンクが正しくないか、期限が切れています。もう一度メールアドレスを登録してください。", "The confirmation link is wrong or has expired; register the address again."},
	care.CodeEmailTooSoon:      {429, "確認メールは1分に1通までです。しばらくしてからお試しください。", "One confirmation e-mail a minute; try again shortly."},
	care.CodeOwnAlert:          {403, "自分についてのアラートは確認済みにできません。他の管理者に依頼してください。", "You cannot acknowledge an alert about yourself; ask another administrator."},
}

func newProblem(ctx context.Context, code string, details ...*huma.ErrorDetail) *Problem {
	m, ok := messages[code]
	if !ok {
		m = messages[codeInternal]
		code = codeInternal
	}
	p := &Problem{Title: http.StatusText(m.status), Status: m.status, Code: code, RequestID: requestID(ctx), Errors: withoutValues(details)}
	if lang(ctx) == "en" {
		p.Detail = m.en
	} else {
		p.Detail = m.ja
	}
	return p
}

// withoutValues copies details without the value each carried: a problem
// names the field and the rule it broke, never what was sent (which may be
// a patient's name or address, and ends up in logs and screenshots).
func withoutValues(details []*huma.ErrorDetail) []*huma.ErrorDetail {
	if len(details) == 0 {
		return nil
	}
	out := make([]*huma.ErrorDetail, 0, len(details))
	for _, d := range details {
		if d == nil {
			continue
		}
		loc, msg := d.Location, d.Message
		if msg == validation.MsgUnexpectedProperty {
			loc = withoutSentKey(loc, d.Value) // the key is what was sent: name the object it was sent in
		}
		if strings.HasPrefix(msg, "expected ") {
			msg, _, _ = strings.Cut(msg, ": ") // huma's format errors end in the parser's error, which quotes the value
		}
		out = append(out, &huma.ErrorDetail{Location: loc, Message: msg})
	}
	return out
}

var fieldShaped = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// withoutSentKey is the location of an unexpected property: huma places
// the error at object.key, and value is the object the key was sent in. A
// key shaped like a field name ("colour") stays, so that the client learns
// which field is unknown; any other key (text, a name) is what was sent and
// is cut off: the location names the object.
func withoutSentKey(loc string, value any) string {
	obj, ok := value.(map[string]any)
	if !ok {
		if i := strings.LastIndex(loc, "."); i > 0 {
			return loc[:i]
		}
		return loc
	}
	best := ""
	for k := range obj {
		if strings.HasSuffix(loc, "."+k) && len(k) > len(best) {
			best = k
		}
	}
	if fieldShaped.MatchString(best) {
		return loc
	}
	if best != "" {
		return strings.TrimSuffix(loc, "."+best)
	}
	if i := strings.LastIndex(loc, "."); i > 0 {
		return loc[:i]
	}
	return loc
}

// problem turns any handler error into the problem the client sees. It is
// the one place where application errors meet HTTP.
func (s *Server) problem(ctx context.Context, err error) error {
	var ce *care.Error
	var se huma.StatusError
	var he huma.HeadersError
	var ve *validationError
	switch {
	case errors.As(err, &ce):
		var details []*huma.ErrorDetail
		if ce.Field != "" {
			loc := "body." + ce.Field
			if strings.HasPrefix(ce.Field, "query.") { // a query parameter checked by the handler
				loc = ce.Field
			}
			details = append(details, &huma.ErrorDetail{Location: loc, Message: ce.Detail})
		}
		p := newProblem(ctx, ce.Code, details...)
		var cw *conflictWith
		if errors.As(err, &cw) {
			p.Current = cw.current
		}
		if errors.As(err, &he) {
			return huma.ErrorWithHeaders(p, he.GetHeaders())
		}
		return p
	case errors.As(err, &ve):
		return newProblem(ctx, care.CodeValidation, ve.details...)
	case errors.Is(err, store.ErrNotFound):
		return newProblem(ctx, care.CodeNotFound)
	case errors.As(err, &se):
		return err
	case errors.Is(err, context.Canceled):
		return newProblem(ctx, codeInternal)
	case store.IsUnavailable(err):
		// Nothing was kept; the client (and any proxy) retries.
		s.log.WarnContext(ctx, "database unavailable", "request_id", requestID(ctx), "err", err)
		return withRetryAfter(newProblem(ctx, codeUnavailable), retryUnavailable)
	}
	s.log.ErrorContext(ctx, "request failed", "request_id", requestID(ctx), "err", err)
	return newProblem(ctx, codeInternal)
}

// retryUnavailable is the Retry-After, in seconds, of a 503 unavailable.
const retryUnavailable = 5

// withRetryAfter attaches a Retry-After header to err.
func withRetryAfter(err error, seconds int) error {
	return huma.ErrorWithHeaders(err, http.Header{"Retry-After": {strconv.Itoa(seconds)}})
}

func init() {
	// huma's format errors append the parser's error, which quotes the
	// value ("parse \"…\": invalid control character"): keep the rule only.
	huma.ErrorFormatter = func(format string, a ...any) string {
		if f, ok := strings.CutSuffix(format, ": %v"); ok && len(a) > 0 {
			if _, isErr := a[len(a)-1].(error); isErr {
				return fmt.Sprintf(f, a[:len(a)-1]...)
			}
		}
		return fmt.Sprintf(format, a...)
	}
	// huma's own errors (validation, malformed JSON, body too large) get the
	// same shape and codes as ours.
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		ctx := context.Background()
		if hctx != nil {
			ctx = hctx.Context()
		}
		details := make([]*huma.ErrorDetail, 0, len(errs))
		for _, e := range errs {
			if d, ok := e.(huma.ErrorDetailer); ok {
				details = append(details, d.ErrorDetail())
			} else if e != nil && status < 500 {
				details = append(details, &huma.ErrorDetail{Message: e.Error()})
			}
		}
		code := "bad_request"
		switch status {
		case 422:
			code = care.CodeValidation
		case 413:
			code = "too_large"
			if hctx != nil && hctx.Operation() != nil && hctx.Operation().OperationID == "uploadAttachment" {
				code = care.CodeImageTooLarge // the same code as photo.ErrTooLarge
			}
		case 415:
			code = care.CodeUnsupportedFormat
		case 404:
			code = care.CodeNotFound
		case 405:
			code = "method_not_allowed"
		case 401:
			code = care.CodeUnauthenticated
		case 403:
			code = care.CodeForbidden
		case 409:
			code = care.CodeConflict
		}
		if status >= 500 {
			code = codeInternal
			details = nil
		}
		p := newProblem(ctx, code, details...)
		if status != p.Status && status < 500 {
			p.Status, p.Title = status, http.StatusText(status)
		}
		return p
	}
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		return huma.NewErrorWithContext(nil, status, msg, errs...)
	}
}

// writeProblem writes a problem outside huma (middleware, raw handlers).
func writeProblem(w http.ResponseWriter, ctx context.Context, status int, code, detail string) {
	p := newProblem(ctx, code)
	if detail != "" {
		p.Detail = detail
	}
	if status != 0 {
		p.Status = status
		p.Title = http.StatusText(status)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// fieldError builds a validation error for one body field.
func fieldError(field, format string, args ...any) error {
	return care.Invalid(field, "%s", fmt.Sprintf(format, args...))
}
