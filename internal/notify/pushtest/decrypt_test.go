package pushtest_test

import (
	"crypto/ecdh"
	"encoding/base64"
	"testing"

	"tsunagu/internal/notify/pushtest"
)

// The worked example of RFC 8291 section 5 / appendix A: the decryptor is
// checked against the standard, not only against the sender it tests.
func TestDecryptRFC8291Example(t *testing.T) {
	b64 := func(s string) []byte {
		t.Helper()
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	uaPrivate, err := ecdh.P256().NewPrivateKey(b64("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"))
	if err != nil {
		t.Fatal(err)
	}
	auth := b64("BTBZMqHH6r4Tts7J_aSIgg")
	body := b64("DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN")

	got, err := pushtest.Decrypt(body, uaPrivate, auth)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if want := "When I grow up, I want to be a watermelon"; string(got) != want {
		t.Fatalf("plaintext %q, want %q", got, want)
	}

	t.Run("wrong auth secret", func(t *testing.T) {
		wrong := append([]byte(nil), auth...)
		wrong[0] ^= 1
		if _, err := pushtest.Decrypt(body, uaPrivate, wrong); err == nil {
			t.Fatal("decrypted with a wrong auth secret")
		}
	})
	t.Run("tampered ciphertext", func(t *testing.T) {
		bad := append([]byte(nil), body...)
		bad[len(bad)-1] ^= 1
		if _, err := pushtest.Decrypt(bad, uaPrivate, auth); err == nil {
			t.Fatal("decrypted a tampered body")
		}
	})
}
