package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"tsunagu/api"
	"tsunagu/internal/alerts"
	"tsunagu/internal/care"
	"tsunagu/internal/notify"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

type alertJSON struct {
	ID             string    `json:"id"`
	Rule           string    `json:"rule"`
	UserID         string    `json:"user_id"`
	UserName       string    `json:"user_name"`
	FacilityID     string    `json:"facility_id"`
	PatientIDs     []string  `json:"patient_ids"`
	Count          int64     `json:"count"`
	FirstAt        time.Time `json:"first_at"`
	LastAt         time.Time `json:"last_at"`
	Status         string    `json:"status"`
	Note           string    `json:"note"`
	AcknowledgedBy string    `json:"acknowledged_by"`
}

func listAlerts(t *testing.T, c *client, query string) []alertJSON {
	t.Helper()
	var out struct{ Alerts []alertJSON }
	c.must(200, "GET", "/api/v1/alerts"+query, nil).json(t, &out)
	return out.Alerts
}

// expectAlertPush checks that exactly the named network admins were queued
// the push of a new alert, and that it says nothing of whom or what.
func (p *pushRig) expectAlertPush(t *testing.T, step string, secrets []string, want ...string) {
	t.Helper()
	got := p.deliver(t, step, want)
	var names []string
	for _, d := range got {
		text := string(d.Plaintext)
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Fatalf("%s: the alert push carries %q: %s", step, s, text)
			}
		}
		var pl map[string]any
		if err := json.Unmarshal(d.Plaintext, &pl); err != nil {
			t.Fatal(err)
		}
		if len(pl) != 4 || pl["type"] != "alert" || pl["title"] != "つなぐ" || pl["body"] != "要確認のアラートがあります" || pl["tag"] != notify.AlertTag {
			t.Fatalf("%s: payload %s", step, text)
		}
		if d.Topic != testTopics.For(notify.AlertTag) {
			t.Fatalf("%s: topic %q", step, d.Topic)
		}
		names = append(names, p.who[d.Endpoint])
	}
	if strings.Join(names, ",") != strings.Join(want, ",") && !sameIDsTest(names, want) {
		t.Fatalf("%s: pushed to %v, want %v", step, names, want)
	}
}

func sameIDsTest(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func auditCount(t *testing.T, h *harness, actor, action, result string) int {
	t.Helper()
	var n int
	ctx := context.Background()
	if err := h.db.Read(ctx, func(tx *store.Tx) error {
		return tx.Get(ctx, &n, `SELECT COUNT(*) FROM audit_event WHERE actor_id = ? AND action = ? AND result = ?`, actor, action, result)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAlertsAPI: refused accesses open an alert at the threshold, announced
// to the network admins only with generic text; network admins see every
// alert, facility admins those about their own staff, others are refused
// (audited); acknowledging is audited, refused for one's own alert, and the
// next firing opens a new alert.
func TestAlertsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		p := newPushRig(t, engine)
		h, r := p.h, p.r
		net2 := h.mustUser("", care.ProfOther, func(u *store.User) { u.NetworkAdmin = true })
		otherAdmin := h.mustUser(r.other, care.ProfOther, func(u *store.User) { u.FacilityAdmin = true })
		netC, net2C, clinicAdminC, otherAdminC := h.signIn(r.netAdmin), h.signIn(net2), h.signIn(r.clinicAdmin), h.signIn(otherAdmin)
		outsiderC := h.signIn(r.outsider)
		p.subscribe("net", netC)
		p.subscribe("net2", net2C)
		p.subscribe("clinic_admin", clinicAdminC)
		p.subscribe("other_admin", otherAdminC)
		p.subscribe("doctor", r.doctorC)
		p.subscribe("outsider", outsiderC)
		secrets := []string{r.patientID, r.outsider.ID, r.outsider.Name, r.other, "refused", canaryName}

		refuse := func() { outsiderC.must(404, "GET", "/api/v1/patients/"+r.patientID, nil) }
		for range 4 {
			refuse()
		}
		if got := listAlerts(t, netC, ""); len(got) != 0 {
			t.Fatalf("4 refusals opened %+v", got)
		}
		p.expectAlertPush(t, "below the threshold", nil)
		refuse()
		p.expectAlertPush(t, "at the threshold", secrets, "net", "net2")
		refuse() // the open alert is updated, not announced again
		p.expectAlertPush(t, "open alert updated", nil)

		got := listAlerts(t, netC, "")
		if len(got) != 1 {
			t.Fatalf("alerts %+v", got)
		}
		a := got[0]
		if a.Rule != alerts.RefusedAccess || a.UserID != r.outsider.ID || a.UserName != r.outsider.Name || a.FacilityID != r.other || a.Count != 6 ||
			len(a.PatientIDs) != 1 || a.PatientIDs[0] != r.patientID || a.Status != "open" || a.Note != "" || a.AcknowledgedBy != "" {
			t.Fatalf("alert %+v", a)
		}
		// Who sees it: the network office and the outsider's facility admin.
		if got := listAlerts(t, otherAdminC, "?status=open"); len(got) != 1 || got[0].ID != a.ID {
			t.Errorf("the outsider's facility admin sees %+v", got)
		}
		if got := listAlerts(t, clinicAdminC, ""); len(got) != 0 {
			t.Errorf("another facility's admin sees %+v", got)
		}
		for _, c := range []*client{r.doctorC, outsiderC} {
			if res := c.do("GET", "/api/v1/alerts", nil); res.status != 403 || res.code() != care.CodeAdminOnly {
				t.Errorf("%s lists alerts: %d %s", c.who, res.status, res.body)
			}
			if res := c.do("POST", "/api/v1/alerts/"+a.ID+"/acknowledge", map[string]any{"note": "x"}); res.status != 403 || res.code() != care.CodeAdminOnly {
				t.Errorf("%s acknowledges: %d %s", c.who, res.status, res.body)
			}
		}
		if n := auditCount(t, h, r.doctor.ID, "alert.list", "denied"); n != 1 {
			t.Errorf("%d denied alert.list events of the doctor", n)
		}
		// An alert the caller may not see is an unknown one.
		unknown := clinicAdminC.must(404, "POST", "/api/v1/alerts/"+newID()+"/acknowledge", map[string]any{"note": "x"})
		hidden := clinicAdminC.must(404, "POST", "/api/v1/alerts/"+a.ID+"/acknowledge", map[string]any{"note": "x"})
		if stripRequestID(hidden.body) != stripRequestID(unknown.body) {
			t.Errorf("404s differ: %s vs %s", hidden.body, unknown.body)
		}
		if res := netC.do("POST", "/api/v1/alerts/"+a.ID+"/acknowledge", map[string]any{"note": "確認\u202e"}); res.status != 422 {
			t.Errorf("a note with a bidi override: %d %s", res.status, res.body)
		}
		var acked alertJSON
		otherAdminC.must(200, "POST", "/api/v1/alerts/"+a.ID+"/acknowledge", map[string]any{"note": "本人に確認済み。\n誤操作。"}).json(t, &acked)
		if acked.ID != a.ID || acked.Status != "acknowledged" || acked.Note != "本人に確認済み。\n誤操作。" || acked.AcknowledgedBy != otherAdmin.ID {
			t.Fatalf("acknowledged %+v", acked)
		}
		if n := auditCount(t, h, otherAdmin.ID, "alert.acknowledge", "ok"); n != 1 {
			t.Errorf("%d alert.acknowledge events", n)
		}
		if res := netC.do("POST", "/api/v1/alerts/"+a.ID+"/acknowledge", map[string]any{"note": "再"}); res.status != 409 || res.code() != care.CodeConflict {
			t.Errorf("acknowledged twice: %d %s", res.status, res.body)
		}
		if got := listAlerts(t, netC, "?status=open"); len(got) != 0 {
			t.Errorf("open after acknowledgement: %+v", got)
		}
		// Still six refusals in the hour: the next one opens a new alert.
		refuse()
		p.expectAlertPush(t, "after acknowledgement", secrets, "net", "net2")
		open := listAlerts(t, netC, "?status=open")
		if len(open) != 1 || open[0].ID == a.ID || open[0].Count != 7 {
			t.Fatalf("new alert %+v", open)
		}
		if got := listAlerts(t, netC, "?status=acknowledged"); len(got) != 1 || got[0].ID != a.ID {
			t.Errorf("acknowledged list %+v", got)
		}
		if got := listAlerts(t, netC, "?user_id="+r.outsider.ID); len(got) != 2 {
			t.Errorf("the outsider's alerts %+v", got)
		}
		if got := listAlerts(t, netC, "?user_id="+r.doctor.ID); len(got) != 0 {
			t.Errorf("the doctor's alerts %+v", got)
		}

		// A change of roles made by the network admin is an alert about
		// them: another network admin acknowledges it, not they.
		netC.must(200, "PATCH", "/api/v1/users/"+r.nurse.ID, map[string]any{"roles": []string{"facility_admin"}})
		p.expectAlertPush(t, "privilege change", secrets, "net", "net2")
		var own alertJSON
		for _, x := range listAlerts(t, netC, "?status=open") {
			if x.Rule == alerts.PrivilegeChange {
				own = x
			}
		}
		if own.UserID != r.netAdmin.ID || own.Count != 1 {
			t.Fatalf("privilege alert %+v", own)
		}
		if res := netC.do("POST", "/api/v1/alerts/"+own.ID+"/acknowledge", map[string]any{"note": "自分"}); res.status != 403 || res.code() != care.CodeOwnAlert {
			t.Errorf("own alert acknowledged: %d %s", res.status, res.body)
		}
		net2C.must(200, "POST", "/api/v1/alerts/"+own.ID+"/acknowledge", map[string]any{"note": "事務局で確認"})
	})
}

// TestAlertRulesAreConfigured: the options set each rule's threshold and
// window, and turn rules off; many_patients counts distinct patients
// opened, not the same one again.
func TestAlertRulesAreConfigured(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine, func(o *api.Options) {
			o.Alerts = alerts.Config{alerts.ManyPatients: {Threshold: 2, Window: time.Hour}, alerts.RefusedAccess: {}}
		})
		r := h.mustRegion()
		netC := h.signIn(r.netAdmin)
		var p2 struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "見本 二郎", "name_kana": "ミホン ジロウ", "birth_date": "1938-05-06",
			"sex": "male", "address": "架空", "phone": ""}).json(t, &p2)
		outsiderC := h.signIn(r.outsider)
		for range 6 { // refused_access is off
			outsiderC.must(404, "GET", "/api/v1/patients/"+r.patientID, nil)
		}
		r.doctorC.must(200, "GET", "/api/v1/patients/"+r.patientID, nil)
		r.doctorC.must(200, "GET", "/api/v1/patients/"+r.patientID+"/records", nil)
		r.doctorC.must(200, "GET", "/api/v1/patients", nil) // the caseload list counts for no patient
		if got := listAlerts(t, netC, ""); len(got) != 0 {
			t.Fatalf("one patient opened, or a rule off, fired: %+v", got)
		}
		h.clock.Advance(10 * time.Minute)
		r.doctorC.must(200, "GET", "/api/v1/patients/"+p2.ID+"/team", nil)
		got := listAlerts(t, netC, "")
		if len(got) != 1 || got[0].Rule != alerts.ManyPatients || got[0].UserID != r.doctor.ID || got[0].Count != 2 ||
			strings.Join(got[0].PatientIDs, ",") != r.patientID+","+p2.ID || !got[0].LastAt.Equal(h.clock.Now()) {
			t.Fatalf("alerts %+v", got)
		}
	})
}
