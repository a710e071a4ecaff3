package app

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"regexp"
	"testing"

	"tsunagu/internal/store/storetest"
)

// TestPushTopicKeyIsKeptPerServer: the push Topic of a patient is a keyed
// hash, not the plain hash of the id; it is the same after a restart on the
// same database (and so from every instance on it), and another server's
// database gives another Topic. Every Topic stays RFC 8030 syntax.
func TestPushTopicKeyIsKeptPerServer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		// The hint listener only parses the URL here; it never connects.
		cfg, err := LoadConfig(func(k string) string {
			if k == "TSUNAGU_DATABASE_URL" {
				return "postgres://127.0.0.1:5432/test"
			}
			return ""
		})
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		const patient = "01900000-0000-7000-8000-00000000000a"
		db := storetest.MustOpen(t, engine)
		first, err := openPush(ctx, cfg, db, log)
		if err != nil {
			t.Fatal(err)
		}
		restarted, err := openPush(ctx, cfg, db, log)
		if err != nil {
			t.Fatal(err)
		}
		other, err := openPush(ctx, cfg, storetest.MustOpen(t, engine), log)
		if err != nil {
			t.Fatal(err)
		}
		a := first.topics.For(patient)
		sum := sha256.Sum256([]byte(patient))
		syntax := regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
		switch {
		case !syntax.MatchString(a) || len(a) != 32:
			t.Errorf("topic %q is not 32 base64url characters (RFC 8030 §5.4)", a)
		case a == base64.RawURLEncoding.EncodeToString(sum[:])[:32]:
			t.Error("topic is the plain SHA-256 of the patient id")
		case restarted.topics.For(patient) != a:
			t.Error("topic changed across a restart on the same database")
		case other.topics.For(patient) == a:
			t.Error("two databases give the same topic")
		}
	})
}
