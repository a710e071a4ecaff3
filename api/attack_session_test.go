package api_test

// The security review of this session's new operations, attacked as an
// outsider would: the e-mail address and its confirmation token, the
// notification preferences, and the substitute of one visit occurrence.
// Each test is one line of attack; the review's findings are in the
// comments (a hole found is fixed in the code and the test keeps it shut).

import (
	"context"
	"strings"
	"testing"
	"time"

	"tsunagu/api"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// newMailHarness is a harness whose server sends e-mail (the outbox is
// read directly: no SMTP server is needed to see what would leave).
func newMailHarness(t *testing.T, engine string) (*harness, *region) {
	t.Helper()
	h := newHarnessDeps(t, engine, mustDisk(t), func(d *api.Deps) { d.MailEnabled = true })
	return h, h.mustRegion()
}

// pendingToken is the token of userID's queued confirmation mail ("" when
// none is queued).
func (h *harness) pendingToken(userID string) string {
	h.t.Helper()
	var toks []string
	err := h.db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.Select(context.Background(), &toks, `SELECT secret FROM mail_outbox WHERE user_id = ? AND kind = 'verify' ORDER BY created_at DESC`, userID)
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(toks) == 0 {
		return ""
	}
	return toks[0]
}

// verifyMails counts the confirmation mails queued for userID.
func (h *harness) verifyMails(userID string) int {
	h.t.Helper()
	var n int
	err := h.db.Read(context.Background(), func(tx *store.Tx) error {
		return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM mail_outbox WHERE user_id = ? AND kind = 'verify'`, userID)
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

type emailState struct {
	Email struct {
		Address  string `json:"address"`
		Verified bool   `json:"verified"`
	} `json:"email"`
}

func emailOf(t *testing.T, c *client) emailState {
	t.Helper()
	var s emailState
	c.must(200, "GET", "/api/v1/me/notification-preferences", nil).json(t, &s)
	return s
}

// TestAttackSessionEmailToken: the confirmation token is bound to the
// account that asked for it. Another user's token, a used token, an
// expired one, one replaced by a newer address, and guessed tokens verify
// nothing, all with the same refusal (nothing tells a guess that was close
// or a token that exists for someone else).
func TestAttackSessionEmailToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h, r := newMailHarness(t, engine)
		const nurseAddr, doctorAddr = "nurse.attack@example.jp", "doctor.attack@example.jp"
		r.nurseC.must(200, "PUT", "/api/v1/me/email", map[string]any{"address": nurseAddr})
		r.doctorC.must(200, "PUT", "/api/v1/me/email", map[string]any{"address": doctorAddr})
		nurseTok, doctorTok := h.pendingToken(r.nurse.ID), h.pendingToken(r.doctor.ID)
		if len(nurseTok) < 40 || nurseTok == doctorTok {
			t.Fatalf("tokens: %q %q", nurseTok, doctorTok)
		}
		confirm := func(c *client, tok string) response {
			t.Helper()
			return c.do("POST", "/api/v1/me/email/confirm", map[string]any{"token": tok})
		}
		var refusal string
		refused := func(what string, res response) {
			t.Helper()
			if res.status != 422 || res.code() != care.CodeEmailTokenInvalid {
				t.Fatalf("%s: %d %s", what, res.status, res.body)
			}
			body := stripRequestID(res.body)
			if refusal == "" {
				refusal = body
			} else if body != refusal {
				t.Errorf("%s: the refusal differs from the others: %s vs %s", what, body, refusal)
			}
		}
		// The doctor holds the nurse's link (forwarded mail, a shared
		// tablet): it does not verify the doctor's address, nor the nurse's.
		refused("another user's token", confirm(r.doctorC, nurseTok))
		// Nor does any administrator's session.
		for _, admin := range []store.User{r.netAdmin, r.clinicAdmin} {
			refused("an administrator with the nurse's token", confirm(h.signIn(admin), nurseTok))
		}
		if s := emailOf(t, r.nurseC); s.Email.Address != nurseAddr || s.Email.Verified {
			t.Fatalf("nurse's address after the others tried her token: %+v", s)
		}
		if s := emailOf(t, r.doctorC); s.Email.Address != doctorAddr || s.Email.Verified {
			t.Fatalf("doctor's address after he tried the nurse's token: %+v", s)
		}
		// Guesses: a token one character off, the hash of the token, the
		// token with its case changed.
		flip := []byte(nurseTok)
		flip[len(flip)-1] ^= 1
		refused("a token one character off", confirm(r.nurseC, string(flip)))
		refused("the token upper-cased", confirm(r.nurseC, strings.ToUpper(nurseTok)))
		refused("a wildcard", confirm(r.nurseC, strings.Repeat("%", 43)))
		// Its owner confirms it once; used again it is refused.
		var ok emailState
		r.nurseC.must(200, "POST", "/api/v1/me/email/confirm", map[string]any{"token": nurseTok}).json(t, &ok.Email)
		if !ok.Email.Verified || ok.Email.Address != nurseAddr {
			t.Fatalf("confirm: %+v", ok)
		}
		refused("a used token", confirm(r.nurseC, nurseTok))
		// A token replaced by a newer address verifies nothing, neither the
		// new address nor the old one.
		h.clock.Advance(2 * time.Minute)
		r.doctorC, r.nurseC = h.signIn(r.doctor), h.signIn(r.nurse)
		r.doctorC.must(200, "PUT", "/api/v1/me/email", map[string]any{"address": "doctor.second@example.jp"})
		refused("a replaced token", confirm(r.doctorC, doctorTok))
		// The newer one expires after a day.
		second := h.pendingToken(r.doctor.ID)
		h.clock.Advance(24*time.Hour + time.Minute)
		r.doctorC = h.signIn(r.doctor)
		refused("an expired token", confirm(r.doctorC, second))
		if s := emailOf(t, r.doctorC); s.Email.Verified {
			t.Fatalf("doctor's address verified by a stale token: %+v", s)
		}
		// Badly formed tokens are refused at the edge, not echoed.
		for _, tok := range []string{"short", strings.Repeat("x", 101), "a\r\nb" + strings.Repeat("c", 30)} {
			res := confirm(r.doctorC, tok)
			if res.status != 422 || (len(tok) > 10 && strings.Contains(res.body, tok)) {
				t.Errorf("token %q: %d %s", tok[:5], res.status, res.body)
			}
		}
		// Neither the addresses nor the tokens are in the audit log an
		// administrator reads, nor in the directory of users.
		netC := h.signIn(r.netAdmin)
		for _, path := range []string{"/api/v1/audit", "/api/v1/users"} {
			res := netC.must(200, "GET", path, nil)
			for _, secret := range []string{nurseAddr, doctorAddr, "doctor.second@", nurseTok, second} {
				if strings.Contains(res.body, secret) {
					t.Errorf("%s shows %q", path, secret)
				}
			}
		}
	})
}

// TestAttackSessionEmailFlood: the form takes any address, so it must not
// become a way to flood a stranger's inbox. One confirmation mail a minute
// per account — and forgetting the address (DELETE) does not start the
// minute again.
//
// Finding: DELETE /me/email removed the row the minute was counted from,
// so PUT, DELETE, PUT, DELETE… queued a confirmation mail to the same
// stranger on every PUT with no limit at all. Fixed in
// store.DeleteUserEmail: the address is forgotten, the time of the last
// confirmation mail is kept.
func TestAttackSessionEmailFlood(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h, r := newMailHarness(t, engine)
		const victim = "stranger@example.jp"
		sent := 0
		for i := 0; i < 5; i++ {
			res := r.nurseC.do("PUT", "/api/v1/me/email", map[string]any{"address": victim})
			switch {
			case res.status == 200:
				sent++
			case res.status == 429 && res.code() == care.CodeEmailTooSoon:
			default:
				t.Fatalf("PUT %d: %d %s", i, res.status, res.body)
			}
			// The mail worker sends at once: the queued row is gone.
			if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`DELETE FROM mail_outbox WHERE user_id = ?`), r.nurse.ID); err != nil {
				t.Fatal(err)
			}
			r.nurseC.must(204, "DELETE", "/api/v1/me/email", nil)
		}
		if sent != 1 {
			t.Fatalf("%d confirmation mails to one stranger within a minute, want 1", sent)
		}
		// Forgotten means forgotten: no address shown, none used.
		if s := emailOf(t, r.nurseC); s.Email.Address != "" || s.Email.Verified {
			t.Fatalf("after DELETE: %+v", s)
		}
		// A minute later the next one goes.
		h.clock.Advance(61 * time.Second)
		r.nurseC = h.signIn(r.nurse)
		r.nurseC.must(200, "PUT", "/api/v1/me/email", map[string]any{"address": victim})
		if n := h.verifyMails(r.nurse.ID); n != 1 {
			t.Fatalf("%d confirmation mails queued, want 1", n)
		}
		// A verified address forgotten and a new one registered at once:
		// that is no flood (the last confirmation mail is older than a minute).
		tok := h.pendingToken(r.nurse.ID)
		h.clock.Advance(2 * time.Minute)
		r.nurseC = h.signIn(r.nurse)
		r.nurseC.must(200, "POST", "/api/v1/me/email/confirm", map[string]any{"token": tok})
		h.clock.Advance(2 * time.Minute)
		r.nurseC = h.signIn(r.nurse)
		r.nurseC.must(204, "DELETE", "/api/v1/me/email", nil)
		r.nurseC.must(200, "PUT", "/api/v1/me/email", map[string]any{"address": "nurse.new@example.jp"})
		// And a token of the forgotten address is dead.
		if res := r.nurseC.do("POST", "/api/v1/me/email/confirm", map[string]any{"token": tok}); res.status != 422 {
			t.Fatalf("token of a forgotten address: %d %s", res.status, res.body)
		}
	})
}

// TestAttackSessionEmailAddressInput: addresses that would inject headers
// or recipients, or route mail oddly, are refused 422 naming the field,
// never echoing the value; nothing is queued for them.
func TestAttackSessionEmailAddressInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h, r := newMailHarness(t, engine)
		for _, addr := range []string{
			"a@example.jp\r\nBcc: x@example.jp",
			"a@example.jp\nBcc: x@example.jp",
			"a@example.jp, b@example.jp",
			"Name <a@example.jp>",
			"<a@example.jp>",
			`"a b"@example.jp`,
			"a@localhost",
			"no-at-sign.example.jp",
			"a@example.jp\x00",
			strings.Repeat("a", 250) + "@example.jp",
		} {
			res := r.nurseC.do("PUT", "/api/v1/me/email", map[string]any{"address": addr})
			if res.status != 422 {
				t.Errorf("%q: %d %s", addr, res.status, res.body)
			}
			if strings.Contains(res.body, "example.jp") && !strings.Contains(res.body, "name@example.jp") {
				t.Errorf("%q: the refusal echoes the value: %s", addr, res.body)
			}
		}
		if n := h.verifyMails(r.nurse.ID); n != 0 {
			t.Fatalf("%d mails queued for refused addresses", n)
		}
	})
}

// TestAttackSessionPreferencesInput: odd preference bodies are 4xx, never
// 5xx, and a partial body does not silently reset the kinds it leaves out.
func TestAttackSessionPreferencesInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		good := testPrefs("push", true, "22:00", "07:00")
		r.nurseC.must(200, "PUT", "/api/v1/me/notification-preferences", good)
		for name, body := range map[string]any{
			"no body":       nil,
			"array":         []any{},
			"kinds missing": map[string]any{"quiet_hours": good["quiet_hours"], "email_hourly": false},
			"one kind":      map[string]any{"kinds": map[string]any{"record": "none"}, "quiet_hours": good["quiet_hours"], "email_hourly": false},
			"kind as number": func() any {
				b := testPrefs("push", false, "22:00", "07:00")
				b["kinds"].(map[string]any)["visit"] = 1
				return b
			}(),
			"24:00":             testPrefs("push", true, "24:00", "07:00"),
			"7:00":              testPrefs("push", true, "22:00", "7:00"),
			"seconds":           testPrefs("push", true, "22:00:00", "07:00"),
			"unicode digits":    testPrefs("push", true, "２２:００", "07:00"),
			"quiet hours null":  map[string]any{"kinds": good["kinds"], "quiet_hours": nil, "email_hourly": false},
			"email_hourly text": map[string]any{"kinds": good["kinds"], "quiet_hours": good["quiet_hours"], "email_hourly": "yes"},
		} {
			res := r.nurseC.do("PUT", "/api/v1/me/notification-preferences", body)
			if res.status < 400 || res.status >= 500 {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		var got struct {
			Kinds map[string]string `json:"kinds"`
		}
		r.nurseC.must(200, "GET", "/api/v1/me/notification-preferences", nil).json(t, &got)
		for k, v := range got.Kinds {
			if v != "push" {
				t.Errorf("after refused bodies, kind %s is %q, want push", k, v)
			}
		}
		// A user id smuggled into the body changes no one else's: the
		// doctor's preferences stay the defaults whatever the nurse sends.
		smuggled := testPrefs("none", false, "22:00", "07:00")
		smuggled["user_id"] = r.doctor.ID
		if res := r.nurseC.do("PUT", "/api/v1/me/notification-preferences", smuggled); res.status >= 500 {
			t.Fatalf("smuggled user id: %d %s", res.status, res.body)
		}
		for _, admin := range []store.User{r.netAdmin, r.clinicAdmin} {
			if res := h.signIn(admin).do("PUT", "/api/v1/me/notification-preferences?user_id="+r.doctor.ID, smuggled); res.status >= 500 {
				t.Fatalf("administrator with a user id: %d %s", res.status, res.body)
			}
		}
		r.doctorC.must(200, "GET", "/api/v1/me/notification-preferences", nil).json(t, &got)
		for k, v := range got.Kinds {
			if v != "both" {
				t.Errorf("the doctor's %s became %q through another's request", k, v)
			}
		}
	})
}

// TestAttackSessionSubstitute: the substitute of one occurrence, set by a
// care worker of the team (who may plan visits). The substitute must be an
// active member of this patient's team: not an outsider, not a member of
// another patient's team, not a removed member, not a suspended account;
// ids that are no user at all are refused alike (nothing tells an existing
// account from an unknown id); odd ids are 422, never 5xx.
//
// Finding: a suspended (or dormant, revoked) member of the team was taken
// as a substitute. The occurrence then left the nurse's list for an
// account that cannot sign in: the visit would be silently missed. Fixed
// in validAssignees: a new assignee must be an active account.
func TestAttackSessionSubstitute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		s := mustVisit(t, r.doctorC, r, nurseSeries(r))
		occ := rfc("2026-11-23 10:00")
		patch := func(c *client, version int, assignees []string) response {
			t.Helper()
			return c.do("PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": version, "occurrence_start": occ, "assignee_ids": assignees})
		}
		// Members to be refused: one of another patient's team, one
		// removed from this team, one suspended.
		other := h.mustOtherPatient(r)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+other+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
		r.doctorC.must(201, "POST", "/api/v1/patients/"+other+"/team", map[string]any{"user_id": r.outsider.ID, "role": "visiting_nurse"})
		removed := h.mustUser(r.station, care.ProfNurse)
		suspended := h.mustUser(r.station, care.ProfNurse)
		for _, u := range []store.User{removed, suspended} {
			r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": u.ID, "role": "visiting_nurse"})
		}
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+removed.ID, nil)
		h.setStatus(suspended.ID, care.StatusSuspended)

		var refusal string
		for name, ids := range map[string][]string{
			"member of another patient's team": {r.outsider.ID},
			"removed member":                   {removed.ID},
			"suspended member":                 {suspended.ID},
			"suspended beside an active one":   {r.helper.ID, suspended.ID},
			"unknown id":                       {newID()},
			"network administrator":            {r.netAdmin.ID},
			"facility administrator":           {r.clinicAdmin.ID},
		} {
			res := patch(r.helperC, 1, ids)
			if res.status != 422 || !strings.Contains(res.body, "assignee_ids") {
				t.Errorf("%s as substitute: %d %s", name, res.status, res.body)
				continue
			}
			for _, id := range ids {
				if strings.Contains(res.body, id) {
					t.Errorf("%s: the refusal echoes the id: %s", name, res.body)
				}
			}
			if body := stripRequestID(res.body); refusal == "" {
				refusal = body
			} else if body != refusal {
				t.Errorf("%s: refusal differs from the others (tells accounts apart): %s vs %s", name, body, refusal)
			}
		}
		for name, ids := range map[string][]string{
			"empty string": {""},
			"not a uuid":   {"not-a-uuid"},
			"wildcards":    {"%", "_", `\`},
			"long":         {strings.Repeat("9", 5000)},
			"many":         strings.Split(strings.Repeat("x,", 21), ","),
		} {
			if res := patch(r.helperC, 1, ids); res.status != 422 {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		// Nothing of it was kept.
		var v visitJSON
		r.doctorC.must(200, "GET", "/api/v1/visits/"+s.ID, nil).json(t, &v)
		if v.Version != 1 || len(v.Exceptions) != 0 {
			t.Fatalf("refused substitutes changed the series: %+v", v)
		}
		// A series assignee suspended later stays assignable as the
		// series' own (restoring the series' assignees clears an override).
		r.helperC.must(200, "PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 1, "occurrence_start": occ, "assignee_ids": []string{r.helper.ID}})
		h.setStatus(r.nurse.ID, care.StatusSuspended)
		r.doctorC.must(200, "PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 2, "occurrence_start": occ, "assignee_ids": []string{r.nurse.ID}})
	})
}

// TestAttackSessionSubstituteReach: a substitute from a facility outside
// the author's disclosure reads the occurrence (the visit is the team's)
// but not the chart record linked to it; a substitute removed from the
// team, or under a withdrawn consent, no longer has the occurrence in their
// list and gets the visit as absent. An off-team caller probing visit ids
// with a substitute body gets exactly an unknown id's answer.
func TestAttackSessionSubstituteReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		s := mustVisit(t, r.doctorC, r, nurseSeries(r))
		occ := rfc("2026-11-23 10:00")
		// The nurse's station keeps its chart records to itself.
		if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`UPDATE facility SET disclosure = 'shared_only' WHERE id = ?`), r.station); err != nil {
			t.Fatal(err)
		}
		// The doctor (clinic) substitutes on 23 Nov; the occurrence links
		// the nurse's chart record.
		r.nurseC.must(200, "PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 1, "occurrence_start": occ,
			"assignee_ids": []string{r.doctor.ID}, "record_id": r.recordID})
		week := "/api/v1/me/visits?from=2026-11-23&to=2026-11-29"
		var mine struct{ Visits []visitJSON }
		r.doctorC.must(200, "GET", week, nil).json(t, &mine)
		if len(mine.Visits) != 1 || mine.Visits[0].RecordID != r.recordID {
			t.Fatalf("substitute's week: %+v", mine.Visits)
		}
		if res := r.doctorC.do("GET", "/api/v1/records/"+r.recordID, nil); res.status != 404 || strings.Contains(res.body, "著変なし") {
			t.Fatalf("substitute reads the linked chart record across the disclosure: %d %s", res.status, res.body)
		}
		// An off-team nurse probing: the series' id answers as an unknown one.
		outsiderC := h.signIn(r.outsider)
		body := map[string]any{"base_version": 2, "occurrence_start": occ, "assignee_ids": []string{r.outsider.ID}}
		known := outsiderC.do("PATCH", "/api/v1/visits/"+s.ID, body)
		unknown := outsiderC.do("PATCH", "/api/v1/visits/"+newID(), body)
		if known.status != 404 || stripRequestID(known.body) != stripRequestID(unknown.body) {
			t.Fatalf("off-team visit %d %s vs unknown %d %s", known.status, known.body, unknown.status, unknown.body)
		}
		// The helper substitutes on 26 Nov, then leaves the team: the
		// occurrence leaves their list and the visit is absent to them.
		r.nurseC.must(200, "PATCH", "/api/v1/visits/"+s.ID, map[string]any{"base_version": 2, "occurrence_start": rfc("2026-11-26 10:00"),
			"assignee_ids": []string{r.helper.ID}})
		r.helperC.must(200, "GET", week, nil).json(t, &mine)
		if len(mine.Visits) != 1 {
			t.Fatalf("helper's week as substitute: %+v", mine.Visits)
		}
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.helper.ID, nil)
		r.helperC.must(200, "GET", week, nil).json(t, &mine)
		if len(mine.Visits) != 0 {
			t.Fatalf("removed substitute still lists the occurrence: %+v", mine.Visits)
		}
		if res := r.helperC.do("GET", "/api/v1/visits/"+s.ID, nil); res.status != 404 || strings.Contains(res.body, "定期訪問") {
			t.Fatalf("removed substitute reads the visit: %d %s", res.status, res.body)
		}
		// Consent withdrawn: the doctor's substitute occurrence leaves too.
		r.doctorC.must(200, "POST", "/api/v1/patients/"+r.patientID+"/consents/"+r.consentID+"/withdraw", map[string]any{"reason": "テスト"})
		r.doctorC.must(200, "GET", week, nil).json(t, &mine)
		if len(mine.Visits) != 0 {
			t.Fatalf("occurrence listed under a withdrawn consent: %+v", mine.Visits)
		}
	})
}
