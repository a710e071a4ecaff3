package mail_test

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tsunagu/internal/care"
	tmail "tsunagu/internal/mail"
	"tsunagu/internal/mail/mailpittest"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// clock is an injected clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// counting counts the messages the SMTP server accepted.
type counting struct {
	tmail.Transport
	n atomic.Int64
}

func (c *counting) Send(ctx context.Context, to string, msg []byte) error {
	err := c.Transport.Send(ctx, to, msg)
	if err == nil {
		c.n.Add(1)
	}
	return err
}

type fixture struct {
	db    *store.DB
	clk   *clock
	mp    *mailpittest.Server
	smtp  *counting
	users []string
}

func newFixture(t *testing.T, engine string) *fixture {
	mp := mailpittest.Start(t)
	db := storetest.MustOpen(t, engine)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	f := &fixture{db: db, clk: &clock{t: now}, mp: mp}
	cfg, err := tmail.ParseURL("smtp://user:pass@"+mp.SMTPAddr, "つなぐ <tsunagu@example.jp>")
	if err != nil {
		t.Fatal(err)
	}
	f.smtp = &counting{Transport: tmail.NewSender(cfg)}
	err = db.Write(ctx, func(tx *store.Tx) error {
		fac := store.Facility{ID: "01900000-0000-7000-8000-00000000f001", Name: "施設", NameKana: "シセツ", Kind: "clinic", Disclosure: "full", CreatedAt: now}
		if err := tx.CreateFacility(ctx, fac, ""); err != nil {
			return err
		}
		for i, id := range []string{"01900000-0000-7000-8000-00000000a001", "01900000-0000-7000-8000-00000000a002"} {
			u := store.User{ID: id, LoginID: "u" + string(rune('a'+i)), Name: "利用者", NameKana: "リヨウシャ", Profession: care.ProfDoctor, PasswordHash: "x",
				PasswordChangedAt: now, Status: care.StatusActive, LastActiveAt: now, CreatedAt: now, UpdatedAt: now}
			u.FacilityID.String, u.FacilityID.Valid = fac.ID, true
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			addr := "user" + string(rune('a'+i)) + "@example.jp"
			if err := tx.SetUserEmail(ctx, id, addr, "h", now.Add(time.Hour), now); err != nil {
				return err
			}
			if _, err := tx.VerifyUserEmail(ctx, id, "h", now); err != nil {
				return err
			}
			f.users = append(f.users, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) worker() *tmail.Worker {
	return &tmail.Worker{DB: f.db, Transport: f.smtp, From: mail.Address{Name: "つなぐ", Address: "tsunagu@example.jp"},
		AppURL: "https://tsunagu.example.jp", Now: f.clk.Now, Claim: 30 * time.Second}
}

func (f *fixture) enqueue(t *testing.T, id, user, kind string, gather bool) {
	t.Helper()
	ctx := context.Background()
	now := f.clk.Now()
	err := f.db.Write(ctx, func(tx *store.Tx) error {
		e, err := tx.UserEmailOf(ctx, user)
		if err != nil {
			return err
		}
		return tx.EnqueueMail(ctx, store.MailItem{ID: id, UserID: user, Kind: kind, Address: e.Address, Gather: gather, CreatedAt: now, NotBefore: now})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) pending(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.db.Read(context.Background(), func(tx *store.Tx) (err error) { n, err = tx.PendingMail(context.Background()); return err }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMailCrashBetweenSendAndMark: a sender that dies after the SMTP server
// accepted a message and before marking it sent, and a sender that dies
// holding a claim before sending, lose nothing; after the restart each
// event is in the mailbox exactly once, under the Message-ID of its row
// (sent twice in the first case: the copy is the same message, which the
// mailbox keeps once), and the outbox is empty.
func TestMailCrashBetweenSendAndMark(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		ctx := context.Background()
		f.enqueue(t, "01900000-0000-7000-8000-0000000000e1", f.users[0], tmail.KindRecord, false)

		crashed := f.worker()
		crash := errors.New("killed between send and mark")
		crashed.AfterSend = func([]string) error { return crash }
		if _, err := crashed.RunOnce(ctx); !errors.Is(err, crash) {
			t.Fatalf("first sender: %v", err)
		}
		if got := f.pending(t); got != 1 {
			t.Fatalf("after the crash %d rows pending, want 1", got)
		}
		// The restarted sender leaves the row alone while the dead one's
		// lease holds, then sends it again.
		restarted := f.worker()
		if n, err := restarted.RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("within the lease: claimed %d, %v", n, err)
		}
		f.clk.Advance(31 * time.Second)
		if n, err := restarted.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("after the lease: claimed %d, %v", n, err)
		}
		if f.smtp.n.Load() != 2 {
			t.Fatalf("SMTP accepted %d messages, want 2 (the send before the crash and the one after)", f.smtp.n.Load())
		}

		// A sender that dies after claiming, before sending.
		f.enqueue(t, "01900000-0000-7000-8000-0000000000e2", f.users[1], tmail.KindVisitNew, false)
		if err := f.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.ClaimMail(ctx, f.clk.Now(), f.clk.Now().Add(30*time.Second), 10)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n, _ := restarted.RunOnce(ctx); n != 0 {
			t.Fatalf("a live claim was taken over")
		}
		f.clk.Advance(31 * time.Second)
		if n, err := restarted.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("after the dead claim: %d, %v", n, err)
		}
		if got := f.pending(t); got != 0 {
			t.Fatalf("%d rows left in the outbox", got)
		}
		msgs := f.mp.Wait(t, 2)
		if len(msgs) != 2 {
			t.Fatalf("mailbox holds %d messages, want 2", len(msgs))
		}
		want := map[string]string{"01900000-0000-7000-8000-0000000000e1@example.jp": "usera@example.jp",
			"01900000-0000-7000-8000-0000000000e2@example.jp": "userb@example.jp"}
		for _, m := range msgs {
			if want[m.MessageID] == "" || len(m.To) != 1 || m.To[0] != want[m.MessageID] {
				t.Errorf("message %s to %v", m.MessageID, m.To)
			}
			if !strings.HasPrefix(m.Subject, "つなぐ: ") || !strings.Contains(m.Text, "https://tsunagu.example.jp/") {
				t.Errorf("message %s: subject %q text %q", m.MessageID, m.Subject, m.Text)
			}
		}
	})
}

// TestMailGatheredAndRetried: rows marked to gather for one user leave as
// one message with counts; a server that refuses for now gets the rows
// again after a back-off, not before; a dropped address gets nothing.
func TestMailGatheredAndRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		ctx := context.Background()
		f.enqueue(t, "01900000-0000-7000-8000-0000000000f1", f.users[0], tmail.KindRecord, true)
		f.enqueue(t, "01900000-0000-7000-8000-0000000000f2", f.users[0], tmail.KindRecord, true)
		f.enqueue(t, "01900000-0000-7000-8000-0000000000f3", f.users[0], tmail.KindVisitChanged, true)
		f.enqueue(t, "01900000-0000-7000-8000-0000000000f4", f.users[1], tmail.KindRecord, false)
		// The second user removes the address before it is sent.
		if err := f.db.Write(ctx, func(tx *store.Tx) error { return tx.DeleteUserEmail(ctx, f.users[1]) }); err != nil {
			t.Fatal(err)
		}
		w := f.worker()
		down := &failing{}
		w.Transport = down
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if down.calls != 1 || f.pending(t) != 3 {
			t.Fatalf("refused: %d calls, %d pending", down.calls, f.pending(t))
		}
		w.Transport = f.smtp
		if n, _ := w.RunOnce(ctx); n != 0 {
			t.Fatalf("retried before the back-off")
		}
		f.clk.Advance(tmail.Backoff(1))
		if n, err := w.RunOnce(ctx); err != nil || n != 3 {
			t.Fatalf("after the back-off: %d, %v", n, err)
		}
		msgs := f.mp.Wait(t, 1)
		if len(msgs) != 1 || msgs[0].To[0] != "usera@example.jp" || msgs[0].Subject != "つなぐ: 新しいお知らせがあります（3件）" ||
			!strings.Contains(msgs[0].Text, "新しい記録: 2件") || !strings.Contains(msgs[0].Text, "訪問予定の変更: 1件") {
			t.Fatalf("gathered mail: %+v", msgs)
		}
		if f.pending(t) != 0 {
			t.Fatalf("outbox not empty")
		}
	})
}

type failing struct{ calls int }

func (f *failing) Send(context.Context, string, []byte) error {
	f.calls++
	return errors.New("421 try again later")
}
