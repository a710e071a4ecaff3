package blob_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/blob"
)

func mustSigner(t *testing.T, key string) *blob.Signer {
	t.Helper()
	s, err := blob.NewSigner([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// splitSigned returns the path, exp and sig of a signed URL.
func splitSigned(t *testing.T, signed string) (path, exp, sig string) {
	t.Helper()
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	return u.Path, q.Get("exp"), q.Get("sig")
}

func TestSigner(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	s := mustSigner(t, key)
	now := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	const p = "/api/v1/attachments/0195f3b2-7c4e-7000-8000-000000000001"
	signed := s.Sign(p, now.Add(5*time.Minute))
	if !strings.HasPrefix(signed, p+"?exp=") || !strings.Contains(signed, "&sig=") {
		t.Fatalf("signed URL %q lacks path?exp=…&sig=…", signed)
	}
	path, exp, sig := splitSigned(t, signed)
	if path != p {
		t.Fatalf("path %q", path)
	}

	tests := []struct {
		name           string
		path, exp, sig string
		now            time.Time
		want           error
	}{
		{"valid", path, exp, sig, now, nil},
		{"valid until the last second", path, exp, sig, now.Add(5*time.Minute - time.Second), nil},
		{"expired at exp", path, exp, sig, now.Add(5 * time.Minute), blob.ErrExpired},
		{"expired later", path, exp, sig, now.Add(time.Hour), blob.ErrExpired},
		{"other attachment", strings.Replace(path, "0001", "0002", 1), exp, sig, now, blob.ErrBadSignature},
		{"thumbnail of it", path + "/thumbnail", exp, sig, now, blob.ErrBadSignature},
		{"extended expiry", path, "9999999999", sig, now, blob.ErrBadSignature},
		{"flipped signature", path, exp, flip(sig), now, blob.ErrBadSignature},
		{"truncated signature", path, exp, sig[:len(sig)-2], now, blob.ErrBadSignature},
		{"empty signature", path, exp, "", now, blob.ErrBadSignature},
		{"not base64", path, exp, "!!!", now, blob.ErrBadSignature},
		{"no expiry", path, "", sig, now, blob.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Verify(tt.path, tt.exp, tt.sig, tt.now); !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("other key", func(t *testing.T) {
		other := mustSigner(t, "fedcba9876543210fedcba9876543210")
		if err := other.Verify(path, exp, sig, now); !errors.Is(err, blob.ErrBadSignature) {
			t.Errorf("Verify with another key = %v, want ErrBadSignature", err)
		}
	})
}

// flip changes the first character of a base64url string to another valid one.
func flip(s string) string {
	c := "A"
	if s[0] == 'A' {
		c = "B"
	}
	return c + s[1:]
}

func TestNewSignerRefusesShortKeys(t *testing.T) {
	if _, err := blob.NewSigner([]byte("too short")); err == nil {
		t.Error("NewSigner accepted a 9-byte key")
	}
}

// A base64url signature's last character carries unused low bits; a lax
// decoder maps several strings to one signature. Only the exact string made
// by Sign is accepted.
func TestSignerRefusesNonCanonicalSignature(t *testing.T) {
	s, err := blob.NewSigner(make([]byte, blob.MinSignerKeyLen))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	signed := s.Sign("/blobs/att/ab/abc", now.Add(time.Minute))
	u, _ := url.Parse(signed)
	exp, sig := u.Query().Get("exp"), u.Query().Get("sig")
	if err := s.Verify("/blobs/att/ab/abc", exp, sig, now); err != nil {
		t.Fatalf("own signature refused: %v", err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, sig[len(sig)-1])
	for i := range alphabet {
		if i == last || i>>2 != last>>2 && i>>4 != last>>4 {
			continue
		}
		variant := sig[:len(sig)-1] + alphabet[i:i+1]
		if err := s.Verify("/blobs/att/ab/abc", exp, variant, now); err == nil {
			t.Fatalf("variant signature %q of %q accepted", variant, sig)
		}
	}
}
