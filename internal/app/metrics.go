package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"tsunagu/internal/backup"
	"tsunagu/internal/mail"
	"tsunagu/internal/metrics"
	"tsunagu/internal/notify"
	"tsunagu/internal/store"
)

// newMetrics makes the server's metrics: group commits and push outcomes
// as they happen, and the gauges read at scrape time (the outbox's depth,
// open event streams, the age of the newest backup generation).
func newMetrics(cfg Config, db *store.DB, push *pushParts, mailer *mail.Worker) *metrics.Metrics {
	m := metrics.New()
	db.ObserveGroupCommits(m.GroupCommit)
	push.worker.OnOutcome = func(o notify.Outcome) { m.Push(o.String()) }
	if mailer != nil {
		mailer.OnResult = m.Mail
		m.Gauge("tsunagu_mail_outbox_depth", "E-mail notifications waiting to be sent.", func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var n int64
			if err := db.Read(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &n, `SELECT COUNT(*) FROM mail_outbox`) }); err != nil {
				return -1
			}
			return float64(n)
		})
	}
	m.Gauge("tsunagu_event_streams", "Open event streams (live hints) on this instance.", func() float64 {
		return float64(push.hub.Connections())
	})
	m.Gauge("tsunagu_outbox_depth", "Notifications waiting to be sent.", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var n int64
		if err := db.Read(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &n, `SELECT COUNT(*) FROM outbox`) }); err != nil {
			return -1
		}
		return float64(n)
	})
	if cfg.Backup.Dir != "" {
		m.Gauge("tsunagu_backup_age_seconds", "Seconds since the newest backup generation was taken (-1: none yet).", func() float64 {
			gens, err := backup.Generations(cfg.Backup.Dir)
			if err != nil || len(gens) == 0 {
				return -1
			}
			mf, err := backup.ReadManifest(filepath.Join(cfg.Backup.Dir, gens[len(gens)-1]))
			if err != nil {
				return -1
			}
			return time.Since(mf.CreatedAt).Seconds()
		})
	}
	return m
}

// withMetrics serves /metrics on the main listener to holders of the
// token, when one is configured.
func withMetrics(h http.Handler, m *metrics.Metrics, token string) http.Handler {
	if token == "" {
		return h
	}
	mh := m.Handler(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			mh.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// serveMetrics serves /metrics alone on addr until ctx ends.
func serveMetrics(ctx context.Context, addr string, m *metrics.Metrics, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("TSUNAGU_METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler(""))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go srv.Serve(ln)
	log.Info("serving metrics", "addr", ln.Addr().String())
	return nil
}
