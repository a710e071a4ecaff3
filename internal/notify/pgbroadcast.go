package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// HintChannel is the PostgreSQL NOTIFY channel hints travel on.
const HintChannel = "tsunagu_hint"

// maxNotifyBytes keeps each NOTIFY payload under PostgreSQL's 8000-byte
// limit; a hint for a large team is split into several notifications.
const maxNotifyBytes = 7000

// Execer runs a statement; *sql.DB, *sql.Conn and *sqlx.DB satisfy it.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// PGBroadcasterConfig configures NewPGBroadcaster.
type PGBroadcasterConfig struct {
	// ConnString opens the dedicated LISTEN connection (pgx syntax).
	ConnString string
	// DB sends the notifications; the server's connection pool.
	DB Execer
	// Logger reports lost connections; nil = slog.Default().
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the reconnect delay (0 = 250 ms, 30 s).
	MinBackoff, MaxBackoff time.Duration
	// OnListen, if set, is called each time LISTEN is (re-)established.
	OnListen func()
}

// PGBroadcaster carries hints between API processes with PostgreSQL
// LISTEN/NOTIFY. The payload is a few opaque user ids and a cursor.
type PGBroadcaster struct {
	conn     *pgx.ConnConfig
	db       Execer
	log      *slog.Logger
	min, max time.Duration
	onListen func()
}

// NewPGBroadcaster checks cfg; it does not connect.
func NewPGBroadcaster(cfg PGBroadcasterConfig) (*PGBroadcaster, error) {
	if cfg.DB == nil {
		return nil, errors.New("pg broadcaster: no DB to notify through")
	}
	conn, err := pgx.ParseConfig(cfg.ConnString)
	if err != nil {
		return nil, fmt.Errorf("pg broadcaster: %w", err)
	}
	if conn.RuntimeParams["application_name"] == "" {
		conn.RuntimeParams["application_name"] = "tsunagu-hint-listener"
	}
	b := &PGBroadcaster{
		conn: conn, db: cfg.DB, log: cfg.Logger,
		min: cfg.MinBackoff, max: cfg.MaxBackoff, onListen: cfg.OnListen,
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.min <= 0 {
		b.min = 250 * time.Millisecond
	}
	if b.max < b.min {
		b.max = max(30*time.Second, b.min)
	}
	return b, nil
}

// Broadcast sends h to every process running Run, this one included.
// A hint with many users is split to fit PostgreSQL's payload limit.
func (b *PGBroadcaster) Broadcast(ctx context.Context, h Hint) error {
	for _, part := range splitHint(h) {
		payload, err := json.Marshal(part)
		if err != nil {
			return fmt.Errorf("broadcast hint: %w", err)
		}
		if _, err := b.db.ExecContext(ctx, "SELECT pg_notify('"+HintChannel+"', $1)", string(payload)); err != nil {
			return fmt.Errorf("broadcast hint: %w", err)
		}
	}
	return nil
}

func splitHint(h Hint) []Hint {
	var parts []Hint
	cur := Hint{Cursor: h.Cursor, All: h.All, Recheck: h.Recheck}
	size := len(h.Cursor) + 32
	for _, id := range h.UserIDs {
		if size+len(id)+3 > maxNotifyBytes && len(cur.UserIDs) > 0 {
			parts = append(parts, cur)
			cur = Hint{Cursor: h.Cursor, All: h.All, Recheck: h.Recheck}
			size = len(h.Cursor) + 32
		}
		cur.UserIDs = append(cur.UserIDs, id)
		size += len(id) + 3
	}
	return append(parts, cur)
}

// Run listens on a dedicated connection and calls deliver for each hint
// until ctx ends, then returns ctx.Err(). A lost connection is re-opened
// with exponential backoff; after a reconnect deliver gets Hint{All: true},
// because hints sent meanwhile were lost.
func (b *PGBroadcaster) Run(ctx context.Context, deliver func(Hint)) error {
	backoff := b.min
	listened := false
	for {
		err := b.listen(ctx, deliver, func() {
			if listened {
				deliver(Hint{All: true})
			}
			listened = true
			backoff = b.min
			if b.onListen != nil {
				b.onListen()
			}
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		b.log.Warn("hint listener disconnected", "err", err, "retry_in", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(backoff*2, b.max)
	}
}

func (b *PGBroadcaster) listen(ctx context.Context, deliver func(Hint), listening func()) error {
	conn, err := pgx.ConnectConfig(ctx, b.conn.Copy())
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+HintChannel); err != nil {
		return err
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var h Hint
		if err := json.Unmarshal([]byte(n.Payload), &h); err != nil {
			b.log.Warn("hint payload not understood", "err", err, "bytes", len(n.Payload))
			continue
		}
		deliver(h)
	}
}
