package blob_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/blob"
	"tsunagu/internal/blob/blobtest"
)

func TestMain(m *testing.M) { os.Exit(blobtest.Main(m)) }

func TestDiskConformance(t *testing.T) {
	s, err := blob.OpenDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, s)
}

func TestS3Conformance(t *testing.T) {
	blobtest.Run(t, blobtest.MustS3(t))
}

func TestDiskLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.OpenDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, "att/ab/abcdef", strings.NewReader("photo"), 5, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "att/ab/short", strings.NewReader("ab"), 5, "image/jpeg"); !errors.Is(err, blob.ErrSizeMismatch) {
		t.Fatalf("short put: err = %v, want ErrSizeMismatch", err)
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "data/att/ab/abcdef type/att/ab/abcdef"
	if got := strings.Join(files, " "); got != want {
		t.Errorf("files on disk: %s, want %s", got, want)
	}
	// The stored file is the blob itself, so operators can check a
	// content-addressed key with sha256sum.
	if b, _ := os.ReadFile(filepath.Join(dir, "data/att/ab/abcdef")); string(b) != "photo" {
		t.Errorf("data file holds %q", b)
	}
}

func TestDiskKeyThatIsADirectory(t *testing.T) {
	s, err := blob.OpenDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, "att/ab/abcdef", strings.NewReader("x"), 1, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "att/ab"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat of a directory: err = %v, want ErrNotFound", err)
	}
	if _, _, err := s.Get(ctx, "att/ab/abcdef/more"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get below a blob: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "att/ab"); err != nil {
		t.Errorf("Delete of a directory key: %v", err)
	}
	if _, err := s.Stat(ctx, "att/ab/abcdef"); err != nil {
		t.Errorf("blob below a deleted directory key: %v", err)
	}
}

func TestValidateKey(t *testing.T) {
	valid := []string{
		"att/ab/abcdef0123456789",
		"thumb/ab/abcdef.jpg",
		"a",
		"consent-forms/2024_01/x",
		strings.Repeat("a", blob.MaxKeyLen),
	}
	for _, k := range valid {
		if err := blob.ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", k, err)
		}
	}
	for _, k := range blobtest.InvalidKeys {
		if err := blob.ValidateKey(k); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
}

func TestOpenS3CreatesMissingBucketAndReopens(t *testing.T) {
	cfg := blobtest.S3Config(t)
	ctx := context.Background()
	s, err := blob.OpenS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "att/ab/abc", strings.NewReader("x"), 1, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	// A second instance (restart, another API server) finds the bucket.
	s2, err := blob.OpenS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := s2.Stat(ctx, "att/ab/abc"); err != nil || info.Size != 1 {
		t.Errorf("Stat via second instance = %+v, %v", info, err)
	}
}

func TestS3WrongCredentialsIsNotNotFound(t *testing.T) {
	cfg := blobtest.S3Config(t)
	ctx := context.Background()
	if _, err := blob.OpenS3(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	cfg.SecretKey = "wrong-secret-key-0000000000"
	s, err := blob.OpenS3(ctx, cfg)
	if err == nil {
		_, err = s.Stat(ctx, "att/ab/abc")
	}
	if err == nil || errors.Is(err, blob.ErrNotFound) {
		t.Errorf("wrong secret: err = %v, want an access error that is not ErrNotFound", err)
	}
}

// TestDiskSweepTemp: the leftovers of a write cut short by a crash are
// removed at start; a write in progress and the blobs themselves are not.
func TestDiskSweepTemp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := blob.OpenDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, "att/ab/abcdef", strings.NewReader("photo"), 5, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "data", "att", "ab", ".tmp-123")
	fresh := filepath.Join(dir, "data", "att", "ab", ".tmp-456")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Hour)
	os.Chtimes(old, past, past)
	n, err := d.SweepTemp(10 * time.Minute)
	if err != nil || n != 1 {
		t.Fatalf("swept %d: %v", n, err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatal("the crashed write's file is still there")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatal("a write in progress was removed")
	}
	if _, _, err := d.Get(ctx, "att/ab/abcdef"); err != nil {
		t.Fatalf("the blob was touched: %v", err)
	}
}
