package app

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"tsunagu/internal/alerts"
	"tsunagu/internal/blob"
	"tsunagu/internal/care"
	"tsunagu/internal/mail"
	"tsunagu/internal/notify"
)

// Config is every setting of the server, read once from the environment.
type Config struct {
	Addr                string        // TSUNAGU_ADDR
	DatabaseURL         string        // TSUNAGU_DATABASE_URL
	DataDir             string        // TSUNAGU_DATA_DIR
	Demo                bool          // TSUNAGU_DEMO
	RequireTOTP         bool          // TSUNAGU_REQUIRE_TOTP
	PasswordMinLength   int           // TSUNAGU_PASSWORD_MIN_LENGTH
	PasswordMaxAge      time.Duration // TSUNAGU_PASSWORD_MAX_AGE_DAYS
	DormantAfter        time.Duration // TSUNAGU_DORMANT_AFTER_DAYS
	SessionIdle         time.Duration // TSUNAGU_SESSION_IDLE
	SessionMax          time.Duration // TSUNAGU_SESSION_MAX
	OfflineUnlock       time.Duration // TSUNAGU_OFFLINE_UNLOCK: how long a device may open its data without reaching the server
	ClinicalProfessions []string      // TSUNAGU_CLINICAL_PROFESSIONS
	SecureCookies       bool          // TSUNAGU_SECURE_COOKIES
	TrustProxyHeaders   bool          // TSUNAGU_TRUST_PROXY
	LogFormat           string        // TSUNAGU_LOG_FORMAT
	// PublicURL is the origin users reach the server at (scheme://host[:port],
	// no trailing slash); every absolute URL the server makes starts with it
	// (TSUNAGU_PUBLIC_URL, default "http://" + Addr). The Host header of a
	// request is never trusted for this.
	PublicURL string
	// PublicURLDerived: TSUNAGU_PUBLIC_URL is unset and PublicURL was made
	// from TSUNAGU_ADDR.
	PublicURLDerived bool
	// S3 is the bucket photos and scanned forms are kept in (TSUNAGU_S3_*).
	// An empty Endpoint keeps them on local disk under BlobDir.
	S3      blob.S3Config
	BlobDir string // $TSUNAGU_DATA_DIR/blobs
	// Backup is the server's own backup schedule (TSUNAGU_BACKUP_*).
	Backup BackupConfig
	// TLS is how the server speaks HTTPS (TSUNAGU_TLS_*, TSUNAGU_ACME_*).
	TLS TLSConfig
	// MetricsAddr serves /metrics on a listener of its own
	// (TSUNAGU_METRICS_ADDR); MetricsToken serves it on the main listener
	// to requests bearing the token (TSUNAGU_METRICS_TOKEN).
	MetricsAddr  string
	MetricsToken string
	// Web Push.
	PushSubject      string   // TSUNAGU_PUSH_SUBJECT: contact in the VAPID JWT (an address on a real domain)
	PushAllowedHosts []string // TSUNAGU_PUSH_ALLOWED_HOSTS: push services subscriptions may use
	PushTitle        string   // TSUNAGU_PUSH_TITLE
	PushBody         string   // TSUNAGU_PUSH_BODY: a new record
	PushVisitBody    string   // TSUNAGU_PUSH_VISIT_BODY: a visit assigned to the recipient
	PushVisitChanged string   // TSUNAGU_PUSH_VISIT_CHANGED_BODY: a visit of the recipient moved, cancelled or reassigned
	PushConfirmBody  string   // TSUNAGU_PUSH_CONFIRM_BODY: a version of the recipient's record awaits their confirmation
	PushAlertBody    string   // TSUNAGU_PUSH_ALERT_BODY: a new misuse alert (to network admins)
	// Alerts are the misuse alert rules, TSUNAGU_ALERT_<RULE> each
	// ("5/1h", or "off"); every rule is on by default.
	Alerts alerts.Config
	// PushLease is how long an outbox worker holds the pushes it claimed
	// (TSUNAGU_PUSH_LEASE). A push is never started after its lease ends;
	// after a crash the rows it held are sent again once it has run out.
	PushLease time.Duration
	// Mail is the SMTP server e-mail notifications go through
	// (TSUNAGU_SMTP_URL, TSUNAGU_MAIL_FROM); MailEnabled is false when
	// TSUNAGU_SMTP_URL is unset (push only).
	Mail        mail.Config
	MailEnabled bool
	// DebugAddr serves Go's profiler (net/http/pprof) for the engineer who
	// runs the server; empty (the default) serves nothing. Loopback only.
	DebugAddr string // TSUNAGU_DEBUG_ADDR
}

// LoadConfig reads the configuration from getenv and validates it. Errors
// name the variable and say what is accepted.
func LoadConfig(getenv func(string) string) (Config, error) {
	r := envReader{getenv: getenv}
	c := Config{
		Addr:              r.str("TSUNAGU_ADDR", "127.0.0.1:8080"),
		DataDir:           r.str("TSUNAGU_DATA_DIR", "./data"),
		Demo:              r.boolean("TSUNAGU_DEMO", false),
		RequireTOTP:       r.boolean("TSUNAGU_REQUIRE_TOTP", true),
		PasswordMinLength: r.integer("TSUNAGU_PASSWORD_MIN_LENGTH", 12, 8, 128),
		PasswordMaxAge:    time.Duration(r.integer("TSUNAGU_PASSWORD_MAX_AGE_DAYS", 90, 0, 3650)) * 24 * time.Hour,
		DormantAfter:      time.Duration(r.integer("TSUNAGU_DORMANT_AFTER_DAYS", 396, 0, 3650)) * 24 * time.Hour,
		SessionIdle:       r.duration("TSUNAGU_SESSION_IDLE", 15*time.Minute),
		SessionMax:        r.duration("TSUNAGU_SESSION_MAX", 12*time.Hour),
		OfflineUnlock:     r.duration("TSUNAGU_OFFLINE_UNLOCK", 72*time.Hour),
		SecureCookies:     r.boolean("TSUNAGU_SECURE_COOKIES", false),
		TrustProxyHeaders: r.boolean("TSUNAGU_TRUST_PROXY", false),
		LogFormat:         r.str("TSUNAGU_LOG_FORMAT", "text"),
	}
	c.DatabaseURL = r.str("TSUNAGU_DATABASE_URL", filepath.Join(c.DataDir, "tsunagu.db"))
	c.ClinicalProfessions = r.list("TSUNAGU_CLINICAL_PROFESSIONS", care.DefaultClinicalProfessions)
	for _, p := range c.ClinicalProfessions {
		if !care.Valid(care.Professions, p) {
			r.fail("TSUNAGU_CLINICAL_PROFESSIONS", "%q is not a profession (one of %s)", p, strings.Join(care.Professions, ", "))
		}
	}
	c.BlobDir = filepath.Join(c.DataDir, "blobs")
	c.S3 = blob.S3Config{
		Endpoint:  r.str("TSUNAGU_S3_ENDPOINT", ""),
		Bucket:    r.str("TSUNAGU_S3_BUCKET", ""),
		Region:    r.str("TSUNAGU_S3_REGION", ""),
		AccessKey: r.str("TSUNAGU_S3_ACCESS_KEY", ""),
		SecretKey: r.str("TSUNAGU_S3_SECRET_KEY", ""),
		UseTLS:    r.boolean("TSUNAGU_S3_TLS", true),
	}
	r.checkS3(c.S3)
	c.Backup = r.backupConfig()
	c.TLS = r.tlsConfig()
	c.MetricsAddr = r.str("TSUNAGU_METRICS_ADDR", "")
	if _, _, err := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && err != nil {
		r.fail("TSUNAGU_METRICS_ADDR", "%q is not host:port", c.MetricsAddr)
	}
	c.MetricsToken = r.str("TSUNAGU_METRICS_TOKEN", "")
	if c.MetricsToken != "" && len(c.MetricsToken) < 24 {
		r.fail("TSUNAGU_METRICS_TOKEN", "must be at least 24 characters (a random secret)")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		r.fail("TSUNAGU_ADDR", "%q is not host:port", c.Addr)
	}
	c.PublicURL = r.publicURL("TSUNAGU_PUBLIC_URL", c.Addr)
	c.PublicURLDerived = strings.TrimSpace(getenv("TSUNAGU_PUBLIC_URL")) == ""
	if c.SessionIdle < time.Minute || c.SessionIdle > 24*time.Hour {
		r.fail("TSUNAGU_SESSION_IDLE", "must be between 1m and 24h")
	}
	if c.SessionMax < c.SessionIdle || c.SessionMax > 7*24*time.Hour {
		r.fail("TSUNAGU_SESSION_MAX", "must be at least TSUNAGU_SESSION_IDLE and at most 168h")
	}
	if c.OfflineUnlock < time.Hour || c.OfflineUnlock > 14*24*time.Hour {
		r.fail("TSUNAGU_OFFLINE_UNLOCK", "must be between 1h and 336h (14 days)")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		r.fail("TSUNAGU_LOG_FORMAT", "must be text or json")
	}
	c.PushSubject = r.str("TSUNAGU_PUSH_SUBJECT", "push@tsunagu.invalid")
	c.PushAllowedHosts = r.list("TSUNAGU_PUSH_ALLOWED_HOSTS", nil)
	if _, err := notify.NewAllowList(c.PushAllowedHosts, true); err != nil {
		r.fail("TSUNAGU_PUSH_ALLOWED_HOSTS", "%v", err)
	}
	c.DebugAddr = r.str("TSUNAGU_DEBUG_ADDR", "")
	if c.DebugAddr != "" {
		if host, _, err := net.SplitHostPort(c.DebugAddr); err != nil || !(host == "localhost" || net.ParseIP(host).IsLoopback()) {
			r.fail("TSUNAGU_DEBUG_ADDR", "%q must be a loopback host:port such as 127.0.0.1:6060 (the profiler must not be reachable from the network)", c.DebugAddr)
		}
	}
	c.PushTitle = r.str("TSUNAGU_PUSH_TITLE", notify.DefaultTexts.Title)
	c.PushBody = r.str("TSUNAGU_PUSH_BODY", notify.DefaultTexts.Body)
	c.PushVisitBody = r.str("TSUNAGU_PUSH_VISIT_BODY", notify.DefaultTexts.VisitNew)
	c.PushVisitChanged = r.str("TSUNAGU_PUSH_VISIT_CHANGED_BODY", notify.DefaultTexts.VisitChanged)
	c.PushConfirmBody = r.str("TSUNAGU_PUSH_CONFIRM_BODY", notify.DefaultTexts.Confirm)
	c.PushAlertBody = r.str("TSUNAGU_PUSH_ALERT_BODY", notify.DefaultTexts.Alert)
	c.Alerts = r.alertRules()
	c.PushLease = r.duration("TSUNAGU_PUSH_LEASE", notify.DefaultLease)
	if c.PushLease < notify.MinLease || c.PushLease > time.Hour {
		r.fail("TSUNAGU_PUSH_LEASE", "must be between %s and 1h", notify.MinLease)
	}
	c.Mail, c.MailEnabled = r.mailConfig()
	if r.err != nil {
		return Config{}, r.err
	}
	return c, nil
}

// mailConfig reads TSUNAGU_SMTP_URL and TSUNAGU_MAIL_FROM: both or
// neither.
func (r *envReader) mailConfig() (mail.Config, bool) {
	u := strings.TrimSpace(r.getenv("TSUNAGU_SMTP_URL"))
	from := strings.TrimSpace(r.getenv("TSUNAGU_MAIL_FROM"))
	if u == "" {
		if from != "" {
			r.fail("TSUNAGU_SMTP_URL", "is required with TSUNAGU_MAIL_FROM (smtp://user:password@host:587 or smtps://…:465)")
		}
		return mail.Config{}, false
	}
	if from == "" {
		r.fail("TSUNAGU_MAIL_FROM", "is required with TSUNAGU_SMTP_URL (the sender address, e.g. tsunagu@example.jp)")
		return mail.Config{}, false
	}
	c, err := mail.ParseURL(u, from)
	if err != nil {
		if strings.HasPrefix(err.Error(), "TSUNAGU_MAIL_FROM") {
			r.fail("TSUNAGU_MAIL_FROM", "must be an e-mail address such as tsunagu@example.jp")
		} else {
			r.fail("TSUNAGU_SMTP_URL", "%v", err)
		}
		return mail.Config{}, false
	}
	return c, true
}

// BackupConfig is where and how often the server backs itself up.
type BackupConfig struct {
	Dir        string        // TSUNAGU_BACKUP_DIR: empty = no scheduled backups
	Every      time.Duration // TSUNAGU_BACKUP_EVERY
	Keep       int           // TSUNAGU_BACKUP_KEEP: generations kept
	Recipients []string      // TSUNAGU_BACKUP_RECIPIENTS: age public keys; empty = not encrypted
}

func (r *envReader) backupConfig() BackupConfig {
	b := BackupConfig{
		Dir:        r.str("TSUNAGU_BACKUP_DIR", ""),
		Every:      r.duration("TSUNAGU_BACKUP_EVERY", 24*time.Hour),
		Keep:       r.integer("TSUNAGU_BACKUP_KEEP", 5, 1, 1000),
		Recipients: r.list("TSUNAGU_BACKUP_RECIPIENTS", nil),
	}
	if b.Every < time.Minute {
		r.fail("TSUNAGU_BACKUP_EVERY", "must be at least 1m")
	}
	for _, k := range b.Recipients {
		if _, err := age.ParseX25519Recipient(k); err != nil {
			r.fail("TSUNAGU_BACKUP_RECIPIENTS", "each entry must be an age public key (age1…), comma-separated")
			break
		}
	}
	return b
}

// AlertVar is the variable of a misuse alert rule: TSUNAGU_ALERT_ and the
// rule's code in capitals (TSUNAGU_ALERT_REFUSED_ACCESS).
func AlertVar(rule string) string { return "TSUNAGU_ALERT_" + strings.ToUpper(rule) }

// alertRules reads every rule's threshold and window, or off.
func (r *envReader) alertRules() alerts.Config {
	cfg := alerts.DefaultConfig()
	for _, rule := range alerts.Rules {
		name := AlertVar(rule)
		v := strings.TrimSpace(r.getenv(name))
		if v == "" {
			continue
		}
		rr, err := alerts.ParseRule(v)
		if err != nil {
			r.fail(name, "%v", err)
			continue
		}
		cfg[rule] = rr
	}
	return cfg
}

// checkS3 accepts either no S3 settings (local disk) or a complete set.
func (r *envReader) checkS3(s blob.S3Config) {
	if s.Endpoint == "" {
		for _, v := range [][2]string{{"TSUNAGU_S3_BUCKET", s.Bucket}, {"TSUNAGU_S3_ACCESS_KEY", s.AccessKey}, {"TSUNAGU_S3_SECRET_KEY", s.SecretKey}} {
			if v[1] != "" {
				r.fail("TSUNAGU_S3_ENDPOINT", "is required when %s is set (unset all TSUNAGU_S3_* to keep blobs on local disk)", v[0])
			}
		}
		return
	}
	if strings.Contains(s.Endpoint, "://") || strings.Contains(s.Endpoint, "/") {
		r.fail("TSUNAGU_S3_ENDPOINT", "%q must be host or host:port without scheme or path (use TSUNAGU_S3_TLS for https)", s.Endpoint)
	}
	if s.Bucket == "" {
		r.fail("TSUNAGU_S3_BUCKET", "is required with TSUNAGU_S3_ENDPOINT")
	}
	if s.AccessKey == "" {
		r.fail("TSUNAGU_S3_ACCESS_KEY", "is required with TSUNAGU_S3_ENDPOINT")
	}
	if s.SecretKey == "" {
		r.fail("TSUNAGU_S3_SECRET_KEY", "is required with TSUNAGU_S3_ENDPOINT")
	}
}

// publicURL reads an origin: an absolute http or https URL with a host and
// nothing after it (no path but "/", no query, fragment or user). Unset, it
// is "http://" + addr (a listen address without a host gives localhost).
func (r *envReader) publicURL(name, addr string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return "" // TSUNAGU_ADDR reports it
		}
		if host == "" {
			host = "localhost"
		}
		return "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "":
		r.fail(name, "must be an absolute URL such as https://tsunagu.example.jp")
	case u.Scheme != "http" && u.Scheme != "https":
		r.fail(name, "must start with https:// (or http://)")
	case u.Host == "" || u.Hostname() == "":
		r.fail(name, "must name a host, e.g. https://tsunagu.example.jp")
	case u.User != nil:
		r.fail(name, "must not carry a user name or password")
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(v, "#"):
		r.fail(name, "must be an origin only (scheme and host[:port]), without a path, query or fragment")
	default:
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				r.fail(name, "has a port outside 1-65535")
				return ""
			}
		}
		return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
	}
	return ""
}

type envReader struct {
	getenv func(string) string
	err    error
}

func (r *envReader) fail(name, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
}

func (r *envReader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *envReader) boolean(name string, def bool) bool {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "%q is not a boolean (use 1 or 0)", v)
	}
	return b
}

func (r *envReader) integer(name string, def, lo, hi int) int {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, "%q must be a whole number from %d to %d", v, lo, hi)
	}
	return n
}

func (r *envReader) duration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, "%q is not a duration (e.g. 15m, 12h)", v)
	}
	return d
}

func (r *envReader) list(name string, def []string) []string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
