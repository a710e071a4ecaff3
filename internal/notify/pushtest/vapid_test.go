package pushtest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/notify/pushtest"
)

const origin = "http://127.0.0.1:9000"

// mustHeader signs claims with key the way an application server does.
func mustHeader(tb testing.TB, key *ecdsa.PrivateKey, alg string, claims map[string]any) string {
	tb.Helper()
	enc := base64.RawURLEncoding
	head, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": alg})
	body, _ := json.Marshal(claims)
	signing := enc.EncodeToString(head) + "." + enc.EncodeToString(body)
	digest := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		tb.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		tb.Fatal(err)
	}
	return "vapid t=" + signing + "." + enc.EncodeToString(sig) + ", k=" + enc.EncodeToString(pub.Bytes())
}

func mustECDSA(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func TestVerifyVAPID(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	key := mustECDSA(t)
	good := func() map[string]any {
		return map[string]any{"aud": origin, "sub": "mailto:ops@example.jp", "exp": now.Add(12 * time.Hour).Unix()}
	}
	claims, k, err := pushtest.VerifyVAPID(mustHeader(t, key, "ES256", good()), origin, now)
	if err != nil {
		t.Fatalf("valid header refused: %v", err)
	}
	if claims.Sub != "mailto:ops@example.jp" || claims.Aud != origin || k == "" {
		t.Errorf("claims %+v, k %q", claims, k)
	}
	https := good()
	https["sub"] = "https://tsunagu.example"
	if _, _, err := pushtest.VerifyVAPID(mustHeader(t, key, "ES256", https), origin, now); err != nil {
		t.Errorf("https subject refused: %v", err)
	}

	edit := func(field string, value any) map[string]any {
		c := good()
		if value == nil {
			delete(c, field)
		} else {
			c[field] = value
		}
		return c
	}
	other := mustHeader(t, mustECDSA(t), "ES256", good())
	mine := mustHeader(t, key, "ES256", good())
	tests := map[string]string{
		"wrong aud":             mustHeader(t, key, "ES256", edit("aud", "https://fcm.googleapis.com")),
		"expired":               mustHeader(t, key, "ES256", edit("exp", now.Add(-time.Second).Unix())),
		"exp over 24h":          mustHeader(t, key, "ES256", edit("exp", now.Add(25*time.Hour).Unix())),
		"no exp":                mustHeader(t, key, "ES256", edit("exp", nil)),
		"no sub":                mustHeader(t, key, "ES256", edit("sub", nil)),
		"doubled mailto":        mustHeader(t, key, "ES256", edit("sub", "mailto:mailto:ops@example.jp")),
		"sub not contact":       mustHeader(t, key, "ES256", edit("sub", "ops")),
		"alg":                   mustHeader(t, key, "HS256", good()),
		"signed by another key": strings.Split(mine, ", k=")[0] + ", k=" + strings.Split(other, ", k=")[1],
		"scheme":                "WebPush " + mine[len("vapid "):],
		"empty":                 "",
	}
	for name, header := range tests {
		t.Run(name, func(t *testing.T) {
			if _, _, err := pushtest.VerifyVAPID(header, origin, now); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestReceiverRejectsUnsignedPush(t *testing.T) {
	rcv := pushtest.Start(t)
	sub := rcv.NewSubscription()
	resp, err := http.Post(sub.Endpoint, "application/octet-stream", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
	if n := len(rcv.Deliveries()); n != 0 {
		t.Errorf("%d deliveries", n)
	}
}
