package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"tsunagu/api"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// withDevice sends a request as cl with the app's device header (empty: none).
func withDevice(cl *client, device, method, path string, c accessCase, body any) response {
	cl.h.t.Helper()
	var rd io.Reader
	contentType := ""
	switch {
	case c.raw != nil:
		rd, contentType = bytes.NewReader(c.raw), c.contentType
	case body != nil:
		b, _ := json.Marshal(body)
		rd, contentType = bytes.NewReader(b), "application/json"
	}
	req, _ := http.NewRequest(method, cl.h.srv.URL+path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if device != "" {
		req.Header.Set(api.DeviceHeader, device)
	}
	res, err := cl.c.Do(req)
	if err != nil {
		cl.h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: string(b), header: res.Header}
}

// mustDevice registers a device for cl and returns its header value.
func mustDevice(t testing.TB, cl *client) (id, header string) {
	t.Helper()
	id = newID()
	var d struct{ Secret string }
	cl.must(200, "POST", "/api/v1/devices", map[string]any{"device_id": id}).json(t, &d)
	return id, id + "." + api.DeviceProof(d.Secret)
}

// TestWithdrawnAccountsDeviceIsWiped: once a nurse is suspended, revoked or
// dormant, or her device is revoked, her iPad's next contact — whatever
// operation it is, with her dead session or with none — is answered
// device_wipe, so the app erases its data instead of staying unlockable
// offline. Someone else who knows only the device id, or a device of an
// active account without a session, gets the ordinary 401.
func TestWithdrawnAccountsDeviceIsWiped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		r.attachmentID = h.mustAttachment(r.doctorC, r.patientID, accessPhoto)
		var v struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
			"starts_at": "2026-11-23T10:00:00+09:00", "ends_at": "2026-11-23T10:45:00+09:00"}).json(t, &v)
		r.visitID = v.ID
		adminC := h.signIn(r.netAdmin)
		exec := func(t *testing.T, q string, args ...any) {
			t.Helper()
			if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(q), args...); err != nil {
				t.Fatal(err)
			}
		}
		plain := h.anon().must(401, "GET", "/api/v1/me", nil)

		for _, tc := range []struct {
			name     string
			withdraw func(t *testing.T, u store.User, deviceID string)
		}{
			{"suspended", func(t *testing.T, u store.User, _ string) {
				adminC.must(200, "PATCH", "/api/v1/users/"+u.ID, map[string]any{"status": "suspended"})
			}},
			{"revoked", func(t *testing.T, u store.User, _ string) {
				adminC.must(200, "PATCH", "/api/v1/users/"+u.ID, map[string]any{"status": "revoked"})
			}},
			{"dormant", func(t *testing.T, u store.User, _ string) {
				// Unused past the limit, not yet marked by the daily job;
				// its sessions ended long ago.
				exec(t, `DELETE FROM user_session WHERE user_id = ?`, u.ID)
				exec(t, `UPDATE app_user SET last_active_at = ? WHERE id = ?`, store.UTC(h.clock.Now().Add(-400*24*time.Hour)), u.ID)
			}},
			{"device revoked", func(t *testing.T, _ store.User, deviceID string) {
				exec(t, `UPDATE device SET revoked_at = ? WHERE id = ?`, store.UTC(h.clock.Now()), deviceID)
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				u := h.mustUser(r.station, care.ProfNurse)
				ipad := h.signIn(u)
				deviceID, header := mustDevice(t, ipad)
				// An active account whose session merely ended: plain 401.
				if res := withDevice(h.anon(), header, "GET", "/api/v1/me", accessCase{}, nil); res.status != 401 || res.code() != care.CodeUnauthenticated {
					t.Fatalf("active account, no session: %d %s", res.status, res.body)
				}
				tc.withdraw(t, u, deviceID)

				// Her iPad's next request, with its old cookie.
				if tc.name != "device revoked" { // a revoked device of an active account still has its session
					if res := withDevice(ipad, header, "POST", "/api/v1/sync/push", accessCase{}, map[string]any{"device_id": deviceID, "mutations": []any{}}); res.status != 401 || res.code() != care.CodeDeviceWipe {
						t.Errorf("next push: %d %s, want 401 %s", res.status, res.body, care.CodeDeviceWipe)
					}
				} else if res := withDevice(ipad, header, "POST", "/api/v1/sync/push", accessCase{}, map[string]any{"device_id": deviceID, "mutations": []any{}}); res.code() != care.CodeDeviceRevoked {
					t.Errorf("push of a revoked device with a live session: %d %s", res.status, res.body)
				}
				// Every operation that needs a session, and the event stream.
				for _, o := range operations(h) {
					c, ok := accessCases[o.id]
					if !ok || c.kind == kPublic {
						continue
					}
					path, body := c.request(o, r)
					if res := withDevice(h.anon(), header, o.method, path, c, body); res.status != 401 || res.code() != care.CodeDeviceWipe {
						t.Errorf("%s %s: %d %s, want 401 %s", o.id, path, res.status, res.body, care.CodeDeviceWipe)
					}
				}
				if res := withDevice(h.anon(), header, "GET", "/api/v1/events", accessCase{}, nil); res.status != 401 || res.code() != care.CodeDeviceWipe {
					t.Errorf("event stream: %d %s", res.status, res.body)
				}

				// Not an oracle: the id without the proof, a wrong proof, an
				// unknown id with a proof, or a malformed header tell nothing.
				for name, hdr := range map[string]string{
					"id alone":         deviceID,
					"id, empty proof":  deviceID + ".",
					"wrong proof":      deviceID + "." + api.DeviceProof("another-secret"),
					"unknown id":       newID() + "." + api.DeviceProof("another-secret"),
					"another's header": newID() + header[len(deviceID):],
					"not an id":        "' OR 1=1 --." + api.DeviceProof("x"),
				} {
					res := withDevice(h.anon(), hdr, "GET", "/api/v1/me", accessCase{}, nil)
					if res.status != 401 || stripRequestID(res.body) != stripRequestID(plain.body) {
						t.Errorf("%s: %d %s, want the plain 401 %s", name, res.status, res.body, plain.body)
					}
				}

				// The instruction is audited against the account and device.
				var n int
				h.db.Read(context.Background(), func(tx *store.Tx) error {
					return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM audit_event WHERE action = 'device.wipe' AND actor_id = ? AND resource_id = ?`, u.ID, deviceID)
				})
				if n == 0 {
					t.Error("no device.wipe audit event")
				}
			})
		}
	})
}
