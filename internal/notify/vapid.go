package notify

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
)

// ErrInvalidVAPIDKey is returned when persisted VAPID key text cannot be parsed.
var ErrInvalidVAPIDKey = errors.New("notify: invalid VAPID key")

// VAPIDKeys is the application server's P-256 key pair (RFC 8292). The public
// half is what browsers subscribe with (GET /push/key); the private half signs
// every push request and must stay on the server.
//
// Only the private scalar is persisted: MarshalText / UnmarshalText (and
// ParseVAPIDKeys) use base64url without padding, the same text webpush-go
// expects. String and LogValue show the public key only, so logging a
// VAPIDKeys never leaks the private half.
type VAPIDKeys struct {
	private *ecdh.PrivateKey
}

// GenerateVAPIDKeys makes a fresh P-256 key pair from crypto/rand.
func GenerateVAPIDKeys() (VAPIDKeys, error) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return VAPIDKeys{}, fmt.Errorf("generate VAPID key: %w", err)
	}
	return VAPIDKeys{private: k}, nil
}

// ParseVAPIDKeys reads the text written by MarshalText.
// It returns ErrInvalidVAPIDKey when the text is not a P-256 private scalar.
func ParseVAPIDKeys(text string) (VAPIDKeys, error) {
	var k VAPIDKeys
	if err := k.UnmarshalText([]byte(text)); err != nil {
		return VAPIDKeys{}, err
	}
	return k, nil
}

// IsZero reports whether k holds no key (the zero value).
func (k VAPIDKeys) IsZero() bool { return k.private == nil }

// PublicKey is the uncompressed P-256 point, base64url without padding: the
// applicationServerKey the app passes to pushManager.subscribe. Empty for the
// zero value.
func (k VAPIDKeys) PublicKey() string {
	if k.private == nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(k.private.PublicKey().Bytes())
}

// privateKey is the 32-byte scalar, base64url without padding.
func (k VAPIDKeys) privateKey() string {
	return base64.RawURLEncoding.EncodeToString(k.private.Bytes())
}

// MarshalText returns the private scalar as base64url text for storage.
func (k VAPIDKeys) MarshalText() ([]byte, error) {
	if k.private == nil {
		return nil, fmt.Errorf("%w: no key", ErrInvalidVAPIDKey)
	}
	return []byte(k.privateKey()), nil
}

// UnmarshalText parses text written by MarshalText (padded base64url is
// accepted too).
func (k *VAPIDKeys) UnmarshalText(text []byte) error {
	raw, err := base64.RawURLEncoding.DecodeString(string(text))
	if err != nil {
		raw, err = base64.URLEncoding.DecodeString(string(text))
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidVAPIDKey, err)
	}
	p, err := ecdh.P256().NewPrivateKey(raw)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidVAPIDKey, err)
	}
	k.private = p
	return nil
}

// String shows the public key only.
func (k VAPIDKeys) String() string { return "VAPIDKeys{public=" + k.PublicKey() + "}" }

// LogValue keeps the private key out of structured logs.
func (k VAPIDKeys) LogValue() slog.Value { return slog.StringValue(k.PublicKey()) }
