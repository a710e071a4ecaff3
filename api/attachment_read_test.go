package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/photo/phototest"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestAttachmentReadIsTheRecordRead: a photo is read exactly as the
// records citing it are. A care manager once downloaded the photo of a
// doctor's note while the note itself answered 403. For every member of a
// team (a doctor, the nurse of a station that discloses shared_only and a
// colleague there, a care worker, a care manager who manages the patient)
// and an outsider, GET /attachments/{id} and /thumbnail answer what GET
// /records/{id} of the citing record answers (same status, same code, the
// same 404 as an unknown id), a consent form answers those who manage the
// patient, an upload nothing cites its uploader only; each refusal is
// audited, each success gives a link that downloads. And a pull (changes
// since a cursor, and a snapshot) carries the id of no attachment its
// user cannot read, and that of every photo of a record they read.
func TestAttachmentReadIsTheRecordRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		if _, err := h.db.SQL().Exec(h.db.SQL().Rebind(`UPDATE facility SET disclosure = ? WHERE id = ?`), care.DisclosureSharedOnly, r.station); err != nil {
			t.Fatal(err)
		}
		colleague := h.mustUser(r.station, care.ProfNurse)
		manager := h.mustUser(r.service, care.ProfCareManager)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": colleague.ID, "role": "visiting_nurse"})
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": manager.ID, "role": "care_manager"})
		viewers := []struct {
			name   string
			c      *client
			manage bool
			cursor string
		}{
			{name: "doctor", c: r.doctorC, manage: true}, {name: "nurse", c: r.nurseC}, {name: "station colleague", c: h.signIn(colleague)},
			{name: "care worker", c: r.helperC}, {name: "care manager", c: h.signIn(manager), manage: true}, {name: "outsider", c: h.signIn(r.outsider)},
		}
		// Every device starts before the photos are cited.
		for i := range viewers {
			viewers[i].cursor = viewers[i].c.pull("", 1000).Cursor
		}

		img := phototest.JPEG(phototest.Halves(40, 20))
		citedBy := map[string]string{} // photo → the record citing it
		current := map[string]bool{}   // cited by the current version
		cite := func(c *client, body map[string]any) string {
			aid := h.mustAttachment(c, r.patientID, img)
			body["attachment_ids"] = []string{aid}
			citedBy[aid] = c.mustCreateRecord(t, r.patientID, body).ID
			current[aid] = true
			return aid
		}
		docPhoto := cite(r.doctorC, map[string]any{"kind": "doctor_note", "fields": map[string]any{"instruction": "創部観察"}})
		cite(r.nurseC, map[string]any{"kind": "nursing_visit", "text": "褥瘡処置", "vitals": map[string]any{"spo2": 95}})
		cite(r.nurseC, map[string]any{"kind": "note", "text": "次回は午後"})
		// A photo the note's first version cited and its second dropped.
		earlier := cite(r.doctorC, map[string]any{"kind": "note", "text": "写真あり"})
		r.doctorC.must(201, "POST", "/api/v1/records/"+citedBy[earlier]+"/amendments", map[string]any{"reason": "写真を外す", "base_version": 1, "attachment_ids": []string{}})
		current[earlier] = false
		form := h.mustAttachment(r.doctorC, r.patientID, img)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/consents", map[string]any{"obtained_on": "2026-11-20", "scope": "full", "attachment_id": form})
		uncited := h.mustAttachment(r.nurseC, r.patientID, img)
		all := []string{form, uncited}
		for aid := range citedBy {
			all = append(all, aid)
		}

		unknown := viewers[5].c.must(404, "GET", "/api/v1/attachments/"+newID(), nil)
		refusals := 0
		readable := map[string]bool{} // viewer + attachment
		for _, v := range viewers {
			for _, aid := range all {
				var wantStatus int
				var wantCode, what string
				switch {
				case citedBy[aid] != "":
					rec := v.c.do("GET", "/api/v1/records/"+citedBy[aid], nil)
					wantStatus, wantCode, what = rec.status, rec.code(), "photo of record "+citedBy[aid]
				case aid == form:
					wantStatus, wantCode, what = 403, care.CodeForbidden, "consent form"
					if v.manage {
						wantStatus, wantCode = 200, ""
					}
				default:
					wantStatus, wantCode, what = 404, care.CodeNotFound, "uncited upload"
					if v.c == r.nurseC {
						wantStatus, wantCode = 200, ""
					}
				}
				if v.name == "outsider" {
					wantStatus, wantCode = 404, care.CodeNotFound
				}
				for _, path := range []string{"/api/v1/attachments/" + aid, "/api/v1/attachments/" + aid + "/thumbnail"} {
					res := v.c.do("GET", path, nil)
					if res.status != wantStatus || (wantCode != "" && res.code() != wantCode) {
						t.Errorf("%s, %s: GET %s answers %d %s, want %d %s", v.name, what, path, res.status, res.code(), wantStatus, wantCode)
						continue
					}
					switch res.status {
					case 200:
						var u signedURL
						res.json(t, &u)
						if dl, _ := h.anon().fetch(u.URL); dl.StatusCode != 200 {
							t.Errorf("%s, %s: the signed link answers %d", v.name, what, dl.StatusCode)
						}
						readable[v.name+aid] = true
					case 404:
						if stripRequestID(res.body) != stripRequestID(unknown.body) {
							t.Errorf("%s, %s: 404 differs from an unknown id's: %s", v.name, what, res.body)
						}
						refusals++
					default:
						refusals++
					}
				}
			}
		}
		// The pentest's case, spelled out: the care manager is refused the
		// doctor's photo exactly as the doctor's note.
		if readable["care manager"+docPhoto] {
			t.Error("the care manager reads the photo of a doctor's note")
		}
		var denied int
		h.db.Read(context.Background(), func(tx *store.Tx) error {
			return tx.Get(context.Background(), &denied, `SELECT COUNT(*) FROM audit_event WHERE action = 'attachment.read' AND result = 'denied'`)
		})
		if denied != refusals+1 { // and the unknown id
			t.Errorf("%d refusals audited, want %d", denied, refusals+1)
		}

		// Nobody passes on a photo they cannot read: not by citing it in a
		// shared note, nor as a consent form, nor learns of it by
		// uploading the same image under its id again.
		for _, c := range []*client{r.helperC, viewers[4].c} {
			res := c.do("POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": newID(), "kind": "note", "text": "共有",
				"occurred_at": h.clock.Now(), "attachment_ids": []string{docPhoto}})
			if res.status != 422 || !strings.Contains(res.body, "attachment_ids[0]") {
				t.Errorf("a note citing the doctor's photo, by someone who cannot read it: %d %s", res.status, res.body)
			}
			retry := c.raw("PUT", "/api/v1/attachments/"+docPhoto+"?patient_id="+r.patientID, "image/jpeg", img)
			if retry.status != 403 || retry.code() != care.CodeChartForbidden {
				t.Errorf("uploading the doctor's photo again, by someone who cannot read it: %d %s", retry.status, retry.body)
			}
		}
		res := viewers[4].c.do("POST", "/api/v1/patients/"+r.patientID+"/consents", map[string]any{"obtained_on": "2026-11-21", "scope": "full", "attachment_id": docPhoto})
		if res.status != 422 || !strings.Contains(res.body, "attachment_id") {
			t.Errorf("the care manager's consent citing the doctor's photo: %d %s", res.status, res.body)
		}
		if res := viewers[4].c.do("GET", "/api/v1/attachments/"+docPhoto, nil); res.status != 403 || res.code() != care.CodeChartForbidden {
			t.Errorf("the care manager's read of the doctor's photo after trying to cite it: %d %s", res.status, res.body)
		}

		for _, v := range viewers {
			pulled := pullEverything(t, v.c, v.cursor, r.patientID)
			for _, aid := range all {
				in := strings.Contains(pulled, aid)
				if in && !readable[v.name+aid] {
					t.Errorf("%s pulls attachment %s, which they cannot read", v.name, aid)
				}
				if current[aid] && readable[v.name+aid] && !in {
					t.Errorf("%s reads the photo of record %s but the pull does not carry it", v.name, citedBy[aid])
				}
			}
		}
	})
}

// pullEverything is every body a device gets: the changes since cursor
// until has_more ends, then a fresh start and the patient's snapshot when
// the fresh start offers one.
func pullEverything(t *testing.T, c *client, cursor, patientID string) string {
	t.Helper()
	var all strings.Builder
	for i := 0; i < 20; i++ {
		res := c.must(200, "GET", "/api/v1/sync/pull?limit=1000&cursor="+url.QueryEscape(cursor), nil)
		all.WriteString(res.body)
		var a pullAnswer
		res.json(t, &a)
		cursor = a.Cursor
		if !a.HasMore {
			break
		}
	}
	res := c.must(200, "GET", "/api/v1/sync/pull", nil)
	var first pullAnswer
	res.json(t, &first)
	for _, rs := range first.Resets {
		if rs.PatientID == patientID {
			snap := c.must(200, "GET", fmt.Sprintf("/api/v1/sync/pull?patient_id=%s&cursor=%s", patientID, url.QueryEscape(first.Cursor)), nil)
			all.WriteString(snap.body)
		}
	}
	if !json.Valid([]byte(res.body)) {
		t.Fatalf("pull answered %s", res.body)
	}
	return all.String()
}
