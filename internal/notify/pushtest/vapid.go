package pushtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Claims are the verified claims of a VAPID JWT (RFC 8292).
type Claims struct {
	Aud string
	Sub string
	Exp time.Time
}

// VerifyVAPID checks an Authorization header of the form
// "vapid t=<JWT>, k=<public key>": an ES256 signature by k, aud equal to
// origin, exp in the future and at most 24 hours away, and sub a mailto:
// address or an https: URL. It returns the claims and k.
func VerifyVAPID(header, origin string, now time.Time) (Claims, string, error) {
	scheme, params, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "vapid") {
		return Claims{}, "", errors.New("authorization scheme is not vapid")
	}
	var token, key string
	for _, p := range strings.Split(params, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch name {
		case "t":
			token = value
		case "k":
			key = value
		}
	}
	if token == "" || key == "" {
		return Claims{}, "", errors.New("vapid header needs t and k")
	}
	rawKey, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil {
		return Claims{}, "", fmt.Errorf("k: %w", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), rawKey)
	if err != nil {
		return Claims{}, "", fmt.Errorf("k: %w", err)
	}

	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, "", errors.New("t is not a JWT")
	}
	var head struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &head); err != nil {
		return Claims{}, "", fmt.Errorf("jwt header: %w", err)
	}
	if head.Alg != "ES256" {
		return Claims{}, "", fmt.Errorf("jwt alg %q, want ES256", head.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return Claims{}, "", errors.New("jwt signature is not 64 bytes of base64url")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return Claims{}, "", errors.New("jwt signature does not verify against k")
	}

	var body struct {
		Aud string `json:"aud"`
		Sub string `json:"sub"`
		Exp *int64 `json:"exp"`
	}
	if err := decodeSegment(parts[1], &body); err != nil {
		return Claims{}, "", fmt.Errorf("jwt claims: %w", err)
	}
	if body.Aud != origin {
		return Claims{}, "", fmt.Errorf("aud %q, want %q", body.Aud, origin)
	}
	if body.Exp == nil {
		return Claims{}, "", errors.New("exp missing")
	}
	exp := time.Unix(*body.Exp, 0)
	if !exp.After(now) {
		return Claims{}, "", errors.New("jwt expired")
	}
	if exp.After(now.Add(24 * time.Hour)) {
		return Claims{}, "", errors.New("exp more than 24 hours ahead")
	}
	if err := checkSubject(body.Sub); err != nil {
		return Claims{}, "", err
	}
	return Claims{Aud: body.Aud, Sub: body.Sub, Exp: exp}, key, nil
}

// checkSubject accepts "mailto:user@host" (once: a doubled "mailto:" is the
// classic webpush-go misuse that Apple rejects) or an https: URL.
func checkSubject(sub string) error {
	if strings.HasPrefix(sub, "https://") && len(sub) > len("https://") {
		return nil
	}
	addr, ok := strings.CutPrefix(sub, "mailto:")
	if !ok {
		return fmt.Errorf("sub %q is neither mailto: nor https:", sub)
	}
	if at := strings.IndexByte(addr, '@'); at <= 0 || at == len(addr)-1 || strings.Contains(addr, ":") {
		return fmt.Errorf("sub %q is not a mailto: address", sub)
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}
