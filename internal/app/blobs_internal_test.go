package app

import (
	"context"
	"net/url"
	"testing"
	"time"

	"tsunagu/internal/store/storetest"
)

// Two instances (or two starts) on one database sign with the same key, so a
// URL handed out by one is honoured by the other.
func TestBlobSignerKeyIsShared(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		a, err := blobSigner(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		b, err := blobSigner(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		u := a.Sign("/blobs/att/ab/abcd", now.Add(time.Minute))
		exp, sig := query(t, u)
		if err := b.Verify("/blobs/att/ab/abcd", exp, sig, now); err != nil {
			t.Errorf("second signer refuses the first one's URL: %v", err)
		}
	})
}

func query(t *testing.T, u string) (exp, sig string) {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Query().Get("exp"), parsed.Query().Get("sig")
}
