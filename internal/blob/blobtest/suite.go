// Package blobtest supports tests of blob stores and of the packages that use
// them: Run is the conformance suite every blob.Store must pass, and MustS3
// starts a real S3 server (versitygw) so that tests exercise the S3 code path
// against a real protocol implementation, not a fake.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"tsunagu/internal/blob"
)

// Run checks that s keeps the contracts documented on blob.Store. Keys live
// under a random prefix, so s may be shared with other tests.
func Run(t *testing.T, s blob.Store) {
	ctx := context.Background()
	prefix := "conformance/" + randomHex(8) + "/"

	t.Run("round trip", func(t *testing.T) {
		key := prefix + "round-trip"
		data := []byte("\xff\xd8\xff sanitized bytes \x00\x01")
		mustPut(t, s, key, data, "image/jpeg")
		got, info := mustGet(t, s, key)
		if !bytes.Equal(got, data) {
			t.Errorf("Get = %q, want %q", got, data)
		}
		r, _, err := s.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		seeker, ok := r.(io.ReadSeeker)
		if !ok {
			t.Fatalf("Get returned %T, which is not an io.ReadSeeker", r)
		}
		if _, err := seeker.Seek(4, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if rest, err := io.ReadAll(seeker); err != nil || !bytes.Equal(rest, data[4:]) {
			t.Errorf("after Seek(4): %q, %v; want %q", rest, err, data[4:])
		}
		if info.Size != int64(len(data)) || info.ContentType != "image/jpeg" {
			t.Errorf("Get info = %+v, want size %d image/jpeg", info, len(data))
		}
	})

	t.Run("stat", func(t *testing.T) {
		key := prefix + "stat/ab/abcdef0123"
		mustPut(t, s, key, []byte("12345"), "image/png")
		info, err := s.Stat(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if info != (blob.Info{Size: 5, ContentType: "image/png"}) {
			t.Errorf("Stat = %+v, want size 5 image/png", info)
		}
	})

	t.Run("empty blob", func(t *testing.T) {
		key := prefix + "empty"
		mustPut(t, s, key, nil, "application/octet-stream")
		got, info := mustGet(t, s, key)
		if len(got) != 0 || info.Size != 0 {
			t.Errorf("got %d bytes, info %+v", len(got), info)
		}
	})

	t.Run("idempotent put", func(t *testing.T) {
		key := prefix + "idempotent"
		mustPut(t, s, key, []byte("same"), "text/plain")
		mustPut(t, s, key, []byte("same"), "text/plain")
		if got, _ := mustGet(t, s, key); string(got) != "same" {
			t.Errorf("after second put: %q", got)
		}
		mustPut(t, s, key, []byte("replaced, longer"), "image/jpeg")
		got, info := mustGet(t, s, key)
		if string(got) != "replaced, longer" || info.ContentType != "image/jpeg" {
			t.Errorf("after replacing put: %q %+v", got, info)
		}
	})

	t.Run("concurrent puts of one key", func(t *testing.T) {
		// A retried upload can race its first attempt.
		key := prefix + "concurrent"
		data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/jpeg")
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := mustGet(t, s, key); !bytes.Equal(got, data) {
			t.Errorf("content damaged by concurrent puts (%d bytes)", len(got))
		}
	})

	t.Run("not found", func(t *testing.T) {
		key := prefix + "never-stored"
		if _, _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Get: err = %v, want ErrNotFound", err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat: err = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("Delete of a missing key: %v", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		key := prefix + "delete-me"
		mustPut(t, s, key, []byte("x"), "text/plain")
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat after Delete: err = %v, want ErrNotFound", err)
		}
		if _, _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Get after Delete: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("size mismatch", func(t *testing.T) {
		tests := []struct {
			name     string
			data     string
			declared int64
		}{
			{"short reader", "12345", 10},
			{"long reader", "1234567890", 5},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				key := prefix + "mismatch-" + strings.ReplaceAll(tt.name, " ", "-")
				err := s.Put(ctx, key, strings.NewReader(tt.data), tt.declared, "text/plain")
				if !errors.Is(err, blob.ErrSizeMismatch) {
					t.Errorf("Put: err = %v, want ErrSizeMismatch", err)
				}
				if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
					t.Errorf("Stat after failed Put: err = %v, want ErrNotFound", err)
				}
			})
		}
	})

	t.Run("invalid keys", func(t *testing.T) {
		for _, key := range InvalidKeys {
			if err := s.Put(ctx, key, strings.NewReader("x"), 1, "text/plain"); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Put(%q): err = %v, want ErrInvalidKey", key, err)
			}
			if _, _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Get(%q): err = %v, want ErrInvalidKey", key, err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Stat(%q): err = %v, want ErrInvalidKey", key, err)
			}
			if err := s.Delete(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Delete(%q): err = %v, want ErrInvalidKey", key, err)
			}
		}
	})

	t.Run("large blob", func(t *testing.T) {
		key := prefix + "large"
		data := make([]byte, 8<<20)
		if _, err := rand.Read(data); err != nil {
			t.Fatal(err)
		}
		mustPut(t, s, key, data, "image/jpeg")
		r, info, err := s.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		h := sha256.New()
		n, err := io.Copy(h, r)
		if err != nil {
			t.Fatal(err)
		}
		want := sha256.Sum256(data)
		if n != int64(len(data)) || info.Size != int64(len(data)) || !bytes.Equal(h.Sum(nil), want[:]) {
			t.Errorf("read %d bytes (info %d), want %d with the same SHA-256", n, info.Size, len(data))
		}
	})
}

// InvalidKeys are keys every store must refuse with blob.ErrInvalidKey.
var InvalidKeys = []string{
	"",
	"/att/ab/abc",
	"att/ab/abc/",
	"att//abc",
	"../etc/passwd",
	"att/../../etc/passwd",
	"att/./abc",
	"att/.hidden",
	"att/ab/ABC",
	"att\\ab",
	"att/ab cd",
	"att/ab%2f",
	"att/日本語",
	"att/ab\x00cd",
	strings.Repeat("a", blob.MaxKeyLen+1),
}

func mustPut(t *testing.T, s blob.Store, key string, data []byte, contentType string) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), contentType); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, s blob.Store, key string) ([]byte, blob.Info) {
	t.Helper()
	r, info, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return data, info
}

// randomHex returns n random bytes in hex; crypto/rand.Read never fails.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
