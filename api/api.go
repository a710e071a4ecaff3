// Package api is Tsunagu's HTTP API: huma operations on the standard
// net/http mux. routes.go lists every operation; one file per resource holds
// the handlers; errors.go maps application errors to problem+json in one
// place. openapi.yaml beside this file is the committed contract.
package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/google/uuid"

	"tsunagu/internal/alerts"
	"tsunagu/internal/auth"
	"tsunagu/internal/blob"
	"tsunagu/internal/care"
	"tsunagu/internal/gencache"
	"tsunagu/internal/metrics"
	"tsunagu/internal/notify"
	"tsunagu/internal/photo"
	"tsunagu/internal/store"
)

// Version is the API version in the OpenAPI document.
const Version = "1.0.0"

// DefaultPublicURL is Options.PublicURL when none is given: the origin of
// the server's default listen address (TSUNAGU_ADDR).
const DefaultPublicURL = "http://127.0.0.1:8080"

// Options are the policies the API enforces.
type Options struct {
	RequireTOTP    bool
	Password       auth.PasswordPolicy
	DormantAfter   time.Duration // 0 = accounts never become dormant
	SessionIdle    time.Duration
	SessionMax     time.Duration
	Care           care.Policy
	SecureCookies  bool
	TrustProxy     bool // take the client address from X-Forwarded-For
	TOTPIssuer     string
	ThrottleWindow time.Duration
	MaxFailsLogin  int // failed sign-ins per account per window
	MaxFailsAddr   int // failed sign-ins per address per window
	// DeviceSecretTTL is how long an offline device may open its data
	// (TSUNAGU_OFFLINE_UNLOCK); every contact with the server renews it.
	DeviceSecretTTL time.Duration
	// Photo bounds what an upload may be; zero fields take photo's defaults.
	Photo photo.Limits
	// PublicURL is the origin every absolute URL the server makes starts
	// with (scheme://host[:port], no path, no trailing slash), e.g.
	// "https://tsunagu.example.jp". The Host header is never trusted, and
	// state-changing requests from any other origin are refused.
	PublicURL string
	// PublicURLDerived says PublicURL was made from the listen address
	// because none is configured: state-changing requests are then also
	// accepted from the origin they came to (a development server is
	// reached as localhost as well as 127.0.0.1). An empty PublicURL is
	// derived too.
	PublicURLDerived bool
	// StreamRecheck is how often an open event stream checks its session
	// (0 = notify.DefaultCheckInterval, a minute): an expired session's
	// stream ends within it even when no hint comes.
	StreamRecheck time.Duration
	// Alerts are the misuse alert rules (TSUNAGU_ALERT_*); nil turns every
	// rule on with its default (alerts.DefaultConfig).
	Alerts alerts.Config
	// Pulls bounds the pulls served at once (pullslots.go); zero takes
	// the defaults.
	Pulls PullSlots
}

// Deps are what the API is built from.
type Deps struct {
	DB      *store.DB
	Hasher  *auth.Hasher
	Log     *slog.Logger
	Now     func() time.Time // the clock; injected so expiry is testable
	NewID   func() string    // UUIDv7 source
	Options Options
	// Blobs keeps sanitized photos and thumbnails (disk or S3).
	Blobs blob.Store
	// Signer signs the short-lived download URLs of blobs. Several instances
	// must share its key; nil makes a random one (single instance, tests).
	Signer *blob.Signer
	// Static serves everything outside /api, /healthz and /openapi (the web app).
	Static http.Handler

	// Sync and notifications.
	CursorKey      []byte             // signs pull cursors; random per process when empty
	Hub            *notify.Hub        // open event streams of this instance
	Hints          notify.Broadcaster // fan-out of "pull now" across instances
	VAPIDPublicKey string
	PushAllow      notify.AllowList // push services subscriptions may point at
	PushTexts      notify.Texts
	WakePush       func() // tells the outbox worker there is work
	// Metrics counts requests by route template; nil counts nothing.
	Metrics *metrics.Metrics
	// MailEnabled: an SMTP server is configured (TSUNAGU_SMTP_URL), so
	// addresses may be registered and notifications go by e-mail too.
	MailEnabled bool
	WakeMail    func() // tells the mail worker there is work
	// TopicKey keys the push Topics (notify.Topics): instances share it;
	// random per process when empty; New panics when it is shorter than
	// notify.TopicKeyLen.
	TopicKey []byte
}

// Server holds the dependencies of the handlers.
type Server struct {
	db     *store.DB
	hasher *auth.Hasher
	log    *slog.Logger
	now    func() time.Time
	newID  func() string
	opt    Options

	cursorKey      []byte
	topics         notify.Topics
	hub            *notify.Hub
	hints          notify.Broadcaster
	vapidPublicKey string
	allowPush      notify.AllowList
	pushTexts      notify.Texts
	wakePush       func()
	mailOn         bool
	wakeMail       func()
	entities       map[string]entityKind
	entityOrder    []string
	encoded        *gencache.Cache[store.RecordKey, []byte] // records as a pull writes them (pulljson.go)
	pulls          *admission                               // pulls served at once (pullslots.go)
	reaches        *reachCache                              // each viewer's reach under the access epoch (reach.go)
	mutations      map[string]mutation
	blobs          blob.Store
	signer         *blob.Signer
	// sanitizing bounds concurrent photo decodes: a 12 MP image needs about
	// 40–60 MB while it is processed.
	sanitizing chan struct{}
	metrics    *metrics.Metrics
	mux        *http.ServeMux // the routes, to name a request's route in metrics
}

// maxSanitizing is how many uploads are decoded at once.
const maxSanitizing = 2

// New builds the HTTP handler of the whole API and the huma API (whose
// OpenAPI document the contract test compares with openapi.yaml).
func New(d Deps) (http.Handler, huma.API) {
	s := &Server{db: d.DB, hasher: d.Hasher, log: d.Log, now: d.Now, newID: d.NewID, opt: d.Options,
		cursorKey: d.CursorKey, hub: d.Hub, hints: d.Hints, vapidPublicKey: d.VAPIDPublicKey, allowPush: d.PushAllow,
		pushTexts: d.PushTexts, wakePush: d.WakePush, mailOn: d.MailEnabled, wakeMail: d.WakeMail, mutations: map[string]mutation{},
		blobs: d.Blobs, signer: d.Signer, sanitizing: make(chan struct{}, maxSanitizing), encoded: newEncodedRecords(),
		metrics: d.Metrics, pulls: newAdmission(d.Options.Pulls), reaches: newReachCache(reachCacheSize)}
	if len(s.cursorKey) == 0 {
		s.cursorKey = make([]byte, 32)
		rand.Read(s.cursorKey)
	}
	topicKey := d.TopicKey
	if len(topicKey) == 0 {
		topicKey = make([]byte, notify.TopicKeyLen)
		rand.Read(topicKey)
	}
	var err error
	if s.topics, err = notify.NewTopics(topicKey); err != nil {
		panic("api: " + err.Error())
	}
	if s.hub == nil {
		s.hub = notify.NewHub()
	}
	if s.hints == nil {
		local := notify.NewLocalBroadcaster()
		go local.Run(context.Background(), s.hub.Deliver)
		s.hints = local
	}
	if s.wakePush == nil {
		s.wakePush = func() {}
	}
	if s.wakeMail == nil {
		s.wakeMail = func() {}
	}
	if s.pushTexts.Title == "" {
		s.pushTexts = notify.DefaultTexts
	}
	if s.opt.DeviceSecretTTL == 0 {
		s.opt.DeviceSecretTTL = 72 * time.Hour
	}
	s.opt.Photo = photoLimits(s.opt.Photo)
	if s.signer == nil {
		key := make([]byte, blob.MinSignerKeyLen)
		rand.Read(key)
		s.signer, _ = blob.NewSigner(key)
	}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	if s.newID == nil {
		s.newID = func() string { return uuid.Must(uuid.NewV7()).String() }
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.opt.PublicURL == "" {
		s.opt.PublicURL, s.opt.PublicURLDerived = DefaultPublicURL, true
	}
	s.opt.PublicURL = strings.TrimSuffix(s.opt.PublicURL, "/")
	if s.opt.TOTPIssuer == "" {
		s.opt.TOTPIssuer = "Tsunagu"
	}
	if s.opt.ThrottleWindow == 0 {
		s.opt.ThrottleWindow = 15 * time.Minute
	}
	if s.opt.MaxFailsLogin == 0 {
		s.opt.MaxFailsLogin = 5
	}
	if s.opt.MaxFailsAddr == 0 {
		s.opt.MaxFailsAddr = 30
	}
	s.watchAudit()
	mux := http.NewServeMux()
	s.mux = mux
	cfg := huma.DefaultConfig("Tsunagu API", Version)
	cfg.Info.Description = "Care-team records, calendar and notifications for home medical care (在宅医療). Errors are RFC 9457 problem+json with a stable `code`."
	cfg.OpenAPIPath = "/openapi"
	cfg.DocsPath = ""
	cfg.SchemasPath = ""
	cfg.CreateHooks = nil // no $schema links in bodies: the app does not need them
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"session": {Type: "apiKey", In: "cookie", Name: SessionCookie},
	}
	hapi := humago.New(suffixMux{mux}, cfg)
	s.routes(hapi)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /api/v1/events", s.events)
	// Signed blob downloads are plain HTTP, outside huma: the URL itself is
	// the credential (made per request by getAttachment), and the answer is
	// image bytes, not JSON.
	mux.HandleFunc("GET "+blobPrefix+"{key...}", s.serveBlob)
	mux.Handle("/", fallback(mux, d.Static)) // unknown /api/ paths: problem+json, never the app
	return s.middleware(s.preauth(hapi, mux)), hapi
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	// A ping answers while a full disk refuses every commit: once a write
	// has failed so, readiness needs a write that reaches the disk (which
	// nothing else sends a server its load balancer has taken out).
	err := s.db.SQL().PingContext(ctx)
	if err == nil && s.db.WritesFailing() {
		if perr := s.db.ProbeWrite(ctx); perr != nil {
			err = fmt.Errorf("writes are failing: the database cannot commit: %w", perr)
		}
	}
	if err != nil {
		s.log.ErrorContext(ctx, "health check failed", "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(retryUnavailable))
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"unavailable"}`))
		return
	}
	w.Write([]byte(`{"status":"ok"}`))
}

// suffixMux lets an operation's last path segment end in a literal suffix
// after its parameter ("/calendar/{token}.ics"), which net/http patterns
// cannot express: it registers "/calendar/{token}", strips the suffix from
// the value and answers 404 when it is missing.
type suffixMux struct{ *http.ServeMux }

func (m suffixMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	i := strings.LastIndex(pattern, "}")
	j := strings.LastIndex(pattern, "{")
	if i < 0 || i == len(pattern)-1 || strings.Contains(pattern[i:], "/") {
		m.ServeMux.HandleFunc(pattern, h)
		return
	}
	name, suffix := pattern[j+1:i], pattern[i+1:]
	m.ServeMux.HandleFunc(pattern[:i+1], func(w http.ResponseWriter, r *http.Request) {
		v, ok := strings.CutSuffix(r.PathValue(name), suffix)
		if !ok || v == "" {
			writeProblem(w, r.Context(), http.StatusNotFound, care.CodeNotFound, "")
			return
		}
		r.SetPathValue(name, v)
		h(w, r)
	})
}
