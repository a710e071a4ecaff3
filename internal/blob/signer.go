package blob

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

var (
	// ErrExpired: the signature is genuine but its expiry has passed.
	ErrExpired = errors.New("blob: signed URL expired")
	// ErrBadSignature: the signature does not match the path and expiry
	// (tampered, truncated, made with another key, or malformed).
	ErrBadSignature = errors.New("blob: bad signature")
)

// MinSignerKeyLen is the shortest HMAC key NewSigner accepts.
const MinSignerKeyLen = 32

// Signer makes and checks expiring download URLs for blobs the API serves
// itself: an HMAC-SHA256 over the path and the expiry. A URL is bound to
// exactly one path, so it cannot be replayed for another attachment, and it
// grants nothing beyond that path: the API still authorises the request.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer using key, which must be at least
// MinSignerKeyLen random bytes kept secret by the server.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < MinSignerKeyLen {
		return nil, fmt.Errorf("blob: signer key has %d bytes, need at least %d", len(key), MinSignerKeyLen)
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

// Sign returns path with "?exp=<unix seconds>&sig=<base64url HMAC>" appended.
// The path must not carry a query of its own.
func (s *Signer) Sign(path string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	v := url.Values{"exp": {exp}, "sig": {base64.RawURLEncoding.EncodeToString(s.mac(path, exp))}}
	return path + "?" + v.Encode()
}

// Verify checks the exp and sig query values of a request for path. It
// returns ErrBadSignature unless sig was made by this Signer for exactly
// this path and exp, and ErrExpired if it was but now is at or past exp.
// The comparison is constant-time.
func (s *Signer) Verify(path, exp, sig string, now time.Time) error {
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil {
		return ErrBadSignature
	}
	if !hmac.Equal(got, s.mac(path, exp)) {
		return ErrBadSignature
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil { // cannot happen for an expiry we signed
		return ErrBadSignature
	}
	if !now.Before(time.Unix(unix, 0)) {
		return ErrExpired
	}
	return nil
}

func (s *Signer) mac(path, exp string) []byte {
	m := hmac.New(sha256.New, s.key)
	// A fixed purpose prefix keeps these MACs apart from any other use of
	// the key; the NUL separators keep path and expiry from running together.
	m.Write([]byte("tsunagu-blob-url-v1\x00"))
	m.Write([]byte(path))
	m.Write([]byte{0})
	m.Write([]byte(exp))
	return m.Sum(nil)
}
