package backup_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"tsunagu/internal/audit"
	"tsunagu/internal/backup"
	"tsunagu/internal/blob"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestEncryptedGeneration: with recipients no file of the generation holds
// the data in the clear; verify checks the sums without the key and the
// audit chain with it; restore needs the key.
func TestEncryptedGeneration(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpen(t, "sqlite")
	for i := range 3 {
		err := db.Write(ctx, func(tx *store.Tx) error {
			return audit.Append(ctx, tx, &audit.Event{At: time.Date(2026, 12, 4, 3, 0, i, 0, time.UTC), Action: "test.event", Result: "ok", ActorID: "marker-actor-見本"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	blobs, err := blob.OpenDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	now := func() time.Time { return time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC) }
	gen, err := backup.Run(ctx, db, blobs, dir, backup.Options{Recipients: []string{id.Recipient().String()}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(gen, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte("marker-actor-見本")) || bytes.Contains(b, []byte("SQLite format")) {
				t.Errorf("%s holds data in the clear", p)
			}
		}
		return nil
	})
	r, err := backup.Verify(ctx, gen, nil)
	if err != nil || len(r.Problems) > 0 || r.ChainChecked {
		t.Fatalf("verify without the key: %+v %v", r, err)
	}
	r, err = backup.Verify(ctx, gen, []age.Identity{id})
	if err != nil || len(r.Problems) > 0 || !r.ChainChecked || r.Events != 3 {
		t.Fatalf("verify with the key: %+v %v", r, err)
	}
	if _, err := backup.Restore(ctx, gen, filepath.Join(t.TempDir(), "a"), nil); err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Fatalf("restore without the key: %v", err)
	}
	other, _ := age.GenerateX25519Identity()
	if _, err := backup.Restore(ctx, gen, filepath.Join(t.TempDir(), "b"), []age.Identity{other}); err == nil {
		t.Fatal("restore with another key succeeded")
	}
	to := filepath.Join(t.TempDir(), "c")
	if _, err := backup.Restore(ctx, gen, to, []age.Identity{id}); err != nil {
		t.Fatal(err)
	}
	rdb, err := store.Open(ctx, filepath.Join(to, "tsunagu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if n, brk, err := audit.Verify(ctx, rdb); err != nil || brk != nil || n != 3 {
		t.Fatalf("restored chain: %d %v %v", n, brk, err)
	}
	// The same second again is refused rather than overwritten.
	if _, err := backup.Run(ctx, db, blobs, dir, backup.Options{Now: now}); err == nil {
		t.Fatal("a second generation with the same name was made")
	}
}
