package api_test

import (
	"testing"

	"tsunagu/internal/alerts"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestFacilityAdminLeavesNetworkAdminAlerts: a network administrator may
// belong to a facility. The alerts about them (here a credential reset they
// made) are the network office's: the facility's admin, who does not manage
// that account (care.CanManageUser), neither lists nor acknowledges them
// (404 as an unknown alert, nothing changed), while still seeing and
// closing those about the facility's staff; another network admin closes it.
func TestFacilityAdminLeavesNetworkAdminAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		netInClinic := h.mustUser(r.clinic, care.ProfDoctor, func(u *store.User) { u.NetworkAdmin = true })
		netInClinicC, clinicAdminC, netC := h.signIn(netInClinic), h.signIn(r.clinicAdmin), h.signIn(r.netAdmin)
		netInClinicC.must(200, "POST", "/api/v1/users/"+r.nurse.ID+"/totp-reset", nil)
		// And one about the clinic's own staff: the doctor's refused reads.
		for range 5 {
			r.doctorC.must(404, "GET", "/api/v1/patients/"+newID(), nil)
		}

		var about alertJSON
		for _, a := range listAlerts(t, netC, "?status=open") {
			if a.UserID == netInClinic.ID && a.Rule == alerts.CredentialReset {
				about = a
			}
		}
		if about.ID == "" || about.FacilityID != r.clinic {
			t.Fatalf("no credential_reset alert about the network admin of the clinic: %+v", listAlerts(t, netC, ""))
		}
		staff := false
		for _, a := range listAlerts(t, clinicAdminC, "") {
			if a.UserID == netInClinic.ID {
				t.Errorf("the clinic's admin lists an alert about a network admin: %+v", a)
			}
			staff = staff || a.UserID == r.doctor.ID
		}
		if !staff {
			t.Errorf("the clinic's admin does not see the alert about the clinic's doctor")
		}
		unknown := clinicAdminC.must(404, "POST", "/api/v1/alerts/"+newID()+"/acknowledge", map[string]any{"note": "x"})
		res := clinicAdminC.do("POST", "/api/v1/alerts/"+about.ID+"/acknowledge", map[string]any{"note": "問題なし"})
		if res.status != 404 || stripRequestID(res.body) != stripRequestID(unknown.body) {
			t.Errorf("the clinic's admin acknowledges the network admin's alert: %d %s", res.status, res.body)
		}
		for _, a := range listAlerts(t, netC, "?status=open") {
			if a.ID == about.ID {
				about = a
			}
		}
		if about.Status != "open" || about.AcknowledgedBy != "" {
			t.Fatalf("the network admin's alert after the facility admin's attempt: %+v", about)
		}
		netC.must(200, "POST", "/api/v1/alerts/"+about.ID+"/acknowledge", map[string]any{"note": "事務局で確認"})
	})
}
