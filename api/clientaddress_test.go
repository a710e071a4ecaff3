package api_test

import (
	"encoding/json"
	"testing"

	"tsunagu/api"
	"tsunagu/internal/care"
	"tsunagu/internal/store/storetest"
)

// TestForwardedForIsNotTheClients: behind a proxy (TSUNAGU_TRUST_PROXY),
// the client's address is the one the proxy appended — the last entry of
// X-Forwarded-For — not the first, which the client wrote itself (nginx's
// $proxy_add_x_forwarded_for and most load balancers keep what the client
// sent and append the address they saw). Taking the first let anyone pick
// their address: a password sprayer escaped the per-address sign-in limit
// by writing a new address in each request (and forged the audit log's
// addresses and the many_addresses alert's). Here one client, behind a
// proxy that appends its real address, writes a different address each
// time: the per-address limit still stops it.
func TestForwardedForIsNotTheClients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine, func(o *api.Options) { o.TrustProxy = true; o.MaxFailsAddr = 3 })
		r := h.mustRegion()
		anon := h.anon()
		signIn := func(login, pw, forged string) response {
			b, _ := json.Marshal(map[string]any{"login_id": login, "password": pw})
			return anon.send("POST", "/api/v1/session", map[string]string{"Content-Type": "application/json",
				"X-Forwarded-For": forged + ", 198.51.100.7"}, b)
		}
		for i := range 3 {
			if res := signIn("nobody"+itoa(i), "wrong-password-"+itoa(i), "203.0.113."+itoa(i+1)); res.status != 401 {
				t.Fatalf("failed sign-in %d: %d %s", i+1, res.status, res.body)
			}
		}
		res := signIn(r.nurse.LoginID, testPassword, "203.0.113.99")
		if res.status != 429 || res.code() != care.CodeTooManyAttempts {
			t.Fatalf("after 3 failures from 198.51.100.7, a sign-in with yet another forged first address: %d %s", res.status, res.body)
		}
		// Another client behind the same proxy is not held back.
		b, _ := json.Marshal(signInBody(r.nurse, testPassword))
		if res := anon.send("POST", "/api/v1/session", map[string]string{"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.8"}, b); res.status != 200 {
			t.Fatalf("another client's sign-in: %d %s", res.status, res.body)
		}
	})
}
