// Package app wires Tsunagu together: configuration, database, API, web
// app, background jobs and graceful shutdown. main calls Run; tests do too.
package app

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"tsunagu/api"
	"tsunagu/internal/alerts"
	"tsunagu/internal/audit"
	"tsunagu/internal/auth"
	"tsunagu/internal/blob"
	"tsunagu/internal/care"
	"tsunagu/internal/demo"
	"tsunagu/internal/mail"
	"tsunagu/internal/notify"
	"tsunagu/internal/store"
	"tsunagu/pwa"
)

// Env is what a run of tsunagu gets from its process.
type Env struct {
	Args   []string
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Ready, when set, receives the listening address once serve accepts
	// connections (tests listen on port 0).
	Ready func(addr string)
}

const usage = `usage: tsunagu <command>

commands:
  serve                                     run the server (default)
  admin create-network-admin --login-id ID  create a network administrator; password on stdin
  audit verify                              check the audit log's hash chain
  version                                   print the version, commit, build time and schema version
  migrate status                            list the database's migrations (the server applies pending ones at start)
  backup --to DIR [--keep N]                make a backup generation while the server runs (SQLite)
  backup verify GEN [--identity FILE]       check a generation's checksums and audit chain
  restore --from GEN --to DATADIR           restore a generation into an empty data directory
`

// Run runs one tsunagu command until ctx ends.
func Run(ctx context.Context, env Env) error {
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	args := env.Args[1:]
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, env)
	case "admin":
		if len(args) == 0 || args[0] != "create-network-admin" {
			return errors.New(usage)
		}
		return createNetworkAdmin(ctx, cfg, env, args[1:])
	case "audit":
		if len(args) == 0 || args[0] != "verify" {
			return errors.New(usage)
		}
		return verifyAudit(ctx, cfg, env)
	case "version", "--version":
		return versionCommand(env)
	case "migrate":
		if len(args) == 0 || args[0] != "status" {
			return errors.New(usage)
		}
		return migrateStatus(ctx, cfg, env)
	case "backup":
		return backupCommand(ctx, cfg, env, args)
	case "restore":
		return restoreCommand(ctx, env, args)
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func apiOptions(cfg Config) api.Options {
	return api.Options{
		RequireTOTP:      cfg.RequireTOTP,
		Password:         auth.PasswordPolicy{MinLength: cfg.PasswordMinLength, MaxAge: cfg.PasswordMaxAge},
		DormantAfter:     cfg.DormantAfter,
		SessionIdle:      cfg.SessionIdle,
		SessionMax:       cfg.SessionMax,
		DeviceSecretTTL:  cfg.OfflineUnlock,
		Care:             care.Policy{ClinicalProfessions: cfg.ClinicalProfessions},
		SecureCookies:    cfg.SecureCookies,
		TrustProxy:       cfg.TrustProxyHeaders,
		PublicURL:        cfg.PublicURL,
		PublicURLDerived: cfg.PublicURLDerived,
		Alerts:           cfg.Alerts,
	}
}

func serve(ctx context.Context, cfg Config, env Env) error {
	log := newLogger(cfg, env.Stderr)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("TSUNAGU_DATA_DIR: %w", err)
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	hasher := auth.NewHasher(4)
	now := func() time.Time { return time.Now().UTC() }
	if cfg.Demo {
		filled, err := demo.Fill(ctx, db, hasher, now())
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		if filled != nil {
			demo.PrintWelcome(env.Stdout, filled, cfg.RequireTOTP)
		}
	}
	dist, err := fs.Sub(pwa.Dist, "dist")
	if err != nil {
		return err
	}
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		return err
	}
	if d, ok := blobs.(*blob.Disk); ok {
		if n, err := d.SweepTemp(10 * time.Minute); err != nil {
			log.Warn("sweeping unfinished blob writes failed", "err", err)
		} else if n > 0 {
			log.Info("removed the temporary files of unfinished blob writes", "count", n)
		}
	}
	signer, err := blobSigner(ctx, db)
	if err != nil {
		return err
	}
	push, err := openPush(ctx, cfg, db, log)
	if err != nil {
		return err
	}
	var mailer *mail.Worker
	wakeMail := func() {}
	if cfg.MailEnabled {
		mailer = &mail.Worker{DB: db, Transport: mail.NewSender(cfg.Mail), From: cfg.Mail.From, AppURL: cfg.PublicURL, Log: log, Claim: cfg.PushLease}
		wakeMail = mailer.Wake
	}
	mets := newMetrics(cfg, db, push, mailer)
	handler, _ := api.New(api.Deps{DB: db, Hasher: hasher, Log: log, Now: now, Options: apiOptions(cfg), Static: appShell(dist), Metrics: mets,
		Blobs: blobs, Signer: signer, CursorKey: push.cursorKey, TopicKey: push.topicKey, Hub: push.hub, Hints: push.hints, VAPIDPublicKey: push.keys.PublicKey(),
		PushAllow: push.allow, PushTexts: notify.Texts{Title: cfg.PushTitle, Body: cfg.PushBody, VisitNew: cfg.PushVisitBody, VisitChanged: cfg.PushVisitChanged,
			Confirm: cfg.PushConfirmBody, Alert: cfg.PushAlertBody}, WakePush: push.worker.Wake,
		MailEnabled: cfg.MailEnabled, WakeMail: wakeMail})

	handler = withMetrics(handler, mets, cfg.MetricsToken)
	if cfg.MetricsAddr != "" {
		if err := serveMetrics(ctx, cfg.MetricsAddr, mets, log); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("TSUNAGU_ADDR: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 0 /* SSE streams; handlers bound their own work */, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	if cfg.TLS.Enabled() {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		tc, redirect, err := serverTLS(cfg, port, log)
		if err != nil {
			return err
		}
		srv.TLSConfig = tc
		ln = tls.NewListener(ln, tc)
		if cfg.TLS.RedirectAddr != "" {
			if err := serveRedirect(ctx, cfg.TLS.RedirectAddr, redirect, log); err != nil {
				return err
			}
		}
	}

	jobsCtx, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	go runDaily(jobsCtx, log, func(ctx context.Context) error { return housekeeping(ctx, db, cfg, now()) })
	go push.worker.Run(jobsCtx)
	if mailer != nil {
		go mailer.Run(jobsCtx)
	}
	if cfg.Backup.Dir != "" {
		go runBackups(jobsCtx, log, db, blobs, cfg.Backup)
	}
	go func() {
		if err := push.hints.Run(jobsCtx, push.hub.Deliver); err != nil && jobsCtx.Err() == nil {
			log.Error("live hints stopped", "err", err)
		}
	}()

	if cfg.DebugAddr != "" {
		dbg, err := serveDebug(cfg.DebugAddr, log)
		if err != nil {
			return err
		}
		defer dbg.Close()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("tsunagu listening", "addr", ln.Addr().String(), "database", db.Engine, "tls", cfg.TLS.Enabled())
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	stopJobs()
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// openBlobs opens the S3 bucket of the configuration, or the disk store
// under the data directory when no S3 endpoint is set.
func openBlobs(ctx context.Context, cfg Config) (blob.Store, error) {
	if cfg.S3.Endpoint == "" {
		s, err := blob.OpenDisk(cfg.BlobDir)
		if err != nil {
			return nil, fmt.Errorf("TSUNAGU_DATA_DIR: %w", err)
		}
		return s, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := blob.OpenS3(ctx, cfg.S3)
	if err != nil {
		return nil, fmt.Errorf("TSUNAGU_S3_ENDPOINT %s: %w", cfg.S3.Endpoint, err)
	}
	return s, nil
}

// signerKeySetting names the HMAC key of signed blob URLs in the setting
// table. It is made on the first start; later starts and other instances
// read the same key, so a URL signed by one instance works on every one.
const signerKeySetting = "blob_url_key"

func blobSigner(ctx context.Context, db *store.DB) (*blob.Signer, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	var kept string
	err := db.Write(ctx, func(tx *store.Tx) error {
		var err error
		kept, err = tx.InitSetting(ctx, signerKeySetting, base64.StdEncoding.EncodeToString(fresh))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("blob URL key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(kept)
	if err != nil {
		return nil, fmt.Errorf("blob URL key: setting %s is not base64: %w", signerKeySetting, err)
	}
	return blob.NewSigner(key)
}

// runDaily runs job now and then every 24 hours until ctx ends.
func runDaily(ctx context.Context, log *slog.Logger, job func(context.Context) error) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		if err := job(ctx); err != nil && ctx.Err() == nil {
			log.Error("daily housekeeping failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// housekeeping makes accounts unused for the dormancy period dormant and
// removes expired sessions, old sign-in failures and what the alert rules
// saw before their windows. Safe to run on several
// instances at once.
func housekeeping(ctx context.Context, db *store.DB, cfg Config, now time.Time) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		if cfg.DormantAfter > 0 {
			ids, err := tx.MarkDormant(ctx, now.Add(-cfg.DormantAfter), now)
			if err != nil {
				return err
			}
			events := make([]*audit.Event, 0, len(ids))
			for _, id := range ids {
				events = append(events, &audit.Event{At: now, ActorID: "system", Action: "user.dormant", ResourceType: "account", ResourceID: id, Result: audit.ResultOK})
			}
			if err := audit.Append(ctx, tx, events...); err != nil {
				return err
			}
		}
		if _, err := tx.DeleteSessionsBefore(ctx, now.Add(-cfg.SessionIdle), now.Add(-cfg.SessionMax)); err != nil {
			return err
		}
		if _, err := tx.PruneSigninFailures(ctx, now.Add(-24*time.Hour)); err != nil {
			return err
		}
		return alerts.Prune(ctx, tx, cfg.Alerts, now)
	})
}

// Housekeeping runs the daily job once (for tests and operators).
func Housekeeping(ctx context.Context, db *store.DB, cfg Config, now time.Time) error {
	return housekeeping(ctx, db, cfg, now)
}

func createNetworkAdmin(ctx context.Context, cfg Config, env Env, args []string) error {
	fl := flag.NewFlagSet("create-network-admin", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	login := fl.String("login-id", "", "personal login id of the administrator")
	name := fl.String("name", "ネットワーク管理者", "display name")
	kana := fl.String("name-kana", "ネットワークカンリシャ", "name in kana")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *login == "" {
		return errors.New("--login-id is required")
	}
	fmt.Fprintln(env.Stderr, "password (read from standard input):")
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	password := strings.TrimRight(line, "\r\n")
	policy := auth.PasswordPolicy{MinLength: cfg.PasswordMinLength}
	if reason := policy.Problem(password, *login, *name, *kana); reason != "" {
		return fmt.Errorf("password refused by the policy: %s (at least %d characters, not easily guessed)", reason, cfg.PasswordMinLength)
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	hash, err := auth.NewHasher(1).Hash(ctx, password)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	u := store.User{ID: uuid.Must(uuid.NewV7()).String(), LoginID: strings.ToLower(*login), Name: *name, NameKana: *kana,
		Profession: care.ProfOther, NetworkAdmin: true, PasswordHash: hash, PasswordChangedAt: now, Status: care.StatusActive,
		LastActiveAt: now, CreatedAt: now, UpdatedAt: now}
	err = db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return audit.Append(ctx, tx, &audit.Event{At: now, ActorID: "cli", Action: "user.create", ResourceType: "account", ResourceID: u.ID, Result: audit.ResultOK, Address: "local"})
	})
	if errors.Is(err, store.ErrLoginIDTaken) {
		return fmt.Errorf("login id %q is already in use", *login)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "network administrator %s created (id %s)\n", u.LoginID, u.ID)
	return nil
}

func verifyAudit(ctx context.Context, cfg Config, env Env) error {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	n, brk, err := audit.Verify(ctx, db)
	if err != nil {
		return err
	}
	if brk != nil {
		fmt.Fprintf(env.Stdout, "audit log BROKEN: %v (%d events verified before it)\n", brk, n)
		return brk
	}
	fmt.Fprintf(env.Stdout, "audit log intact: %d events verified\n", n)
	return nil
}

// pushParts are the notification machinery of one server process.
type pushParts struct {
	keys      notify.VAPIDKeys
	allow     notify.AllowList
	worker    *notify.Worker
	hub       *notify.Hub
	hints     notify.Broadcaster
	cursorKey []byte
	topicKey  []byte        // keys the push Topics, shared by every instance
	topics    notify.Topics // from topicKey
}

// topicKeySetting names the key of the push Topics (notify.Topics) in the
// setting table: made by the first start, read by later starts and other
// instances, so a patient's Topic is the same from every instance and
// differs from every other server's.
const topicKeySetting = "push_topic_key"

// openPush loads (or makes, on first start) the VAPID keys and the cursor
// key from the database, so every instance signs alike, and builds the
// sender, the outbox worker and the live-hint fan-out: LISTEN/NOTIFY on
// PostgreSQL, in-process on SQLite.
func openPush(ctx context.Context, cfg Config, db *store.DB, log *slog.Logger) (*pushParts, error) {
	fresh, err := notify.GenerateVAPIDKeys()
	if err != nil {
		return nil, err
	}
	freshText, _ := fresh.MarshalText()
	cursor := make([]byte, 32)
	if _, err := rand.Read(cursor); err != nil {
		return nil, err
	}
	topic := make([]byte, notify.TopicKeyLen)
	if _, err := rand.Read(topic); err != nil {
		return nil, err
	}
	var keyText, cursorText, topicText string
	err = db.Write(ctx, func(tx *store.Tx) (err error) {
		if keyText, err = tx.InitSetting(ctx, "vapid_private_key", string(freshText)); err != nil {
			return err
		}
		if topicText, err = tx.InitSetting(ctx, topicKeySetting, base64.StdEncoding.EncodeToString(topic)); err != nil {
			return err
		}
		cursorText, err = tx.InitSetting(ctx, "sync_cursor_key", base64.StdEncoding.EncodeToString(cursor))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("push keys: %w", err)
	}
	p := &pushParts{hub: notify.NewHub()}
	if p.keys, err = notify.ParseVAPIDKeys(keyText); err != nil {
		return nil, fmt.Errorf("stored VAPID key: %w", err)
	}
	if p.cursorKey, err = base64.StdEncoding.DecodeString(cursorText); err != nil {
		return nil, fmt.Errorf("stored cursor key: %w", err)
	}
	if p.topicKey, err = base64.StdEncoding.DecodeString(topicText); err != nil {
		return nil, fmt.Errorf("stored push topic key: %w", err)
	}
	if p.topics, err = notify.NewTopics(p.topicKey); err != nil {
		return nil, fmt.Errorf("stored push topic key: %w", err)
	}
	loopback := false
	for _, h := range cfg.PushAllowedHosts {
		host := h
		if hh, _, err := net.SplitHostPort(h); err == nil {
			host = hh
		}
		loopback = loopback || host == "localhost" || net.ParseIP(host).IsLoopback()
	}
	if p.allow, err = notify.NewAllowList(cfg.PushAllowedHosts, loopback); err != nil {
		return nil, fmt.Errorf("TSUNAGU_PUSH_ALLOWED_HOSTS: %w", err)
	}
	sender, err := notify.NewSender(notify.SenderConfig{Keys: p.keys, Subject: cfg.PushSubject, AllowedHosts: cfg.PushAllowedHosts, LoopbackHTTP: loopback})
	if err != nil {
		return nil, fmt.Errorf("TSUNAGU_PUSH_SUBJECT: %w", err)
	}
	if strings.HasSuffix(cfg.PushSubject, ".invalid") {
		log.Warn("TSUNAGU_PUSH_SUBJECT is not set: Apple's push service refuses pushes without a contact address on a real domain")
	}
	p.worker = &notify.Worker{DB: db, Sender: sender, Log: log, Claim: cfg.PushLease}
	if db.Engine == store.Postgres {
		p.hints, err = notify.NewPGBroadcaster(notify.PGBroadcasterConfig{ConnString: cfg.DatabaseURL, DB: db.SQL(), Logger: log})
		if err != nil {
			return nil, err
		}
	} else {
		p.hints = notify.NewLocalBroadcaster()
	}
	return p, nil
}
