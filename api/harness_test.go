package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"tsunagu/api"
	"tsunagu/internal/auth"
	"tsunagu/internal/blob"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// clock is the injected clock of a test server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is one API server on one engine with a controllable clock.
type harness struct {
	t     testing.TB
	db    *store.DB
	clock *clock
	srv   *httptest.Server
	hapi  huma.API
	opt   api.Options
	h     *auth.Hasher
	blobs blob.Store
}

const testPassword = "kagami-mochi-2026!"

func defaultOptions() api.Options {
	return api.Options{RequireTOTP: false, Password: auth.PasswordPolicy{MinLength: 12, MaxAge: 90 * 24 * time.Hour},
		DormantAfter: 396 * 24 * time.Hour, SessionIdle: 15 * time.Minute, SessionMax: 12 * time.Hour,
		Care: care.Policy{ClinicalProfessions: care.DefaultClinicalProfessions}}
}

// newHarness starts a server on engine that keeps blobs on disk in a
// temporary directory.
func newHarness(t testing.TB, engine string, mod ...func(*api.Options)) *harness {
	t.Helper()
	return newHarnessWith(t, engine, mustDisk(t), mod...)
}

func mustDisk(t testing.TB) blob.Store {
	t.Helper()
	d, err := blob.OpenDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// newHarnessWith starts a server on engine with blobs kept in blobs.
func newHarnessWith(t testing.TB, engine string, blobs blob.Store, mod ...func(*api.Options)) *harness {
	t.Helper()
	return newHarnessDeps(t, engine, blobs, nil, mod...)
}

// newHarnessDeps is newHarnessWith with a last word on the dependencies
// (push allow-list, hint fan-out).
func newHarnessDeps(t testing.TB, engine string, blobs blob.Store, deps func(*api.Deps), mod ...func(*api.Options)) *harness {
	t.Helper()
	opt := defaultOptions()
	for _, m := range mod {
		m(&opt)
	}
	db := storetest.MustOpen(t, engine)
	c := &clock{t: time.Date(2026, 11, 21, 0, 30, 0, 0, time.UTC)}
	h := auth.NewHasher(4)
	d := api.Deps{DB: db, Hasher: h, Now: c.Now, Options: opt, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Blobs: blobs}
	if deps != nil {
		deps(&d)
	}
	handler, hapi := api.New(d)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &harness{t: t, db: db, clock: c, srv: srv, hapi: hapi, opt: opt, h: h, blobs: blobs}
}

// mustFacility creates a facility directly in the store.
func (h *harness) mustFacility(kind string) string {
	h.t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	err := h.db.Write(context.Background(), func(tx *store.Tx) error {
		return tx.CreateFacility(context.Background(), store.Facility{ID: id, Name: "テスト施設", NameKana: "テストシセツ", Kind: kind, Disclosure: "full", CreatedAt: h.clock.Now()}, "")
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

var loginSeq int
var loginMu sync.Mutex

// mustUser creates an active account with testPassword, no first-login
// change, and returns it.
func (h *harness) mustUser(facilityID, profession string, mod ...func(*store.User)) store.User {
	h.t.Helper()
	loginMu.Lock()
	loginSeq++
	n := loginSeq
	loginMu.Unlock()
	hash, err := h.h.Hash(context.Background(), testPassword)
	if err != nil {
		h.t.Fatal(err)
	}
	now := h.clock.Now()
	u := store.User{ID: uuid.Must(uuid.NewV7()).String(), LoginID: "user" + itoa(n), Name: "試験 利用者", NameKana: "シケン リヨウシャ",
		Profession: profession, PasswordHash: hash, PasswordChangedAt: now, Status: care.StatusActive, LastActiveAt: now, CreatedAt: now, UpdatedAt: now}
	if facilityID != "" {
		u.FacilityID.String, u.FacilityID.Valid = facilityID, true
	}
	for _, m := range mod {
		m(&u)
	}
	if err := h.db.Write(context.Background(), func(tx *store.Tx) error { return tx.CreateUser(context.Background(), u) }); err != nil {
		h.t.Fatal(err)
	}
	return u
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func itoa(n int) string { return strconv.Itoa(n) }

// client is a browser-like HTTP client with its own cookie jar.
type client struct {
	h   *harness
	c   *http.Client
	who string
}

func (h *harness) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{h: h, c: &http.Client{Jar: jar}}
}

// signIn signs u in and fails the test unless it works.
func (h *harness) signIn(u store.User) *client {
	h.t.Helper()
	c := h.anon()
	c.who = u.LoginID
	res := c.do("POST", "/api/v1/session", map[string]any{"login_id": u.LoginID, "password": testPassword})
	if res.status != 200 {
		h.t.Fatalf("sign in %s: %d %s", u.LoginID, res.status, res.body)
	}
	return c
}

type response struct {
	status int
	body   string
	header http.Header
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

func (r response) code() string {
	var p struct {
		Code string `json:"code"`
	}
	json.Unmarshal([]byte(r.body), &p)
	return p.Code
}

func (c *client) do(method, path string, body any) response {
	c.h.t.Helper()
	if body == nil {
		return c.send(method, path, nil, nil)
	}
	b, _ := json.Marshal(body)
	return c.send(method, path, map[string]string{"Content-Type": "application/json"}, b)
}

// send makes a request with exactly the headers given (no Content-Type
// unless listed) and the client's cookies.
func (c *client) send(method, path string, hdr map[string]string, body []byte) response {
	c.h.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, c.h.srv.URL+path, rd)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: string(b), header: res.Header}
}

// raw sends body as it is, with contentType.
func (c *client) raw(method, path, contentType string, body []byte) response {
	c.h.t.Helper()
	req, _ := http.NewRequest(method, c.h.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	res, err := c.c.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: string(b), header: res.Header}
}

// must runs a request and fails unless it answers want.
func (c *client) must(want int, method, path string, body any) response {
	c.h.t.Helper()
	r := c.do(method, path, body)
	if r.status != want {
		c.h.t.Fatalf("%s %s as %s: want %d, got %d %s", method, path, c.who, want, r.status, r.body)
	}
	return r
}

// region is a small fixture: a patient of clinic A with a team (doctor A,
// nurse B, care worker C) under full consent, and outsiders.
type region struct {
	clinic, station, service, other string
	doctor, nurse, helper, outsider store.User
	netAdmin, clinicAdmin           store.User
	patientID, consentID            string
	attachmentID                    string // set by tests that upload one
	visitID                         string // set by tests that need one
	recordID                        string // a nursing_visit (chart) record by the nurse
	messageID                       string // a team channel message, set by tests that need one
	doctorC, nurseC, helperC        *client
}

const canaryName = "カナリア 患者名"

func (h *harness) mustRegion() *region {
	h.t.Helper()
	r := &region{clinic: h.mustFacility("clinic"), station: h.mustFacility("nursing_station"), service: h.mustFacility("care_service"), other: h.mustFacility("clinic")}
	r.doctor = h.mustUser(r.clinic, care.ProfDoctor)
	r.nurse = h.mustUser(r.station, care.ProfNurse)
	r.helper = h.mustUser(r.service, care.ProfCareWorker)
	r.outsider = h.mustUser(r.other, care.ProfNurse)
	r.netAdmin = h.mustUser("", care.ProfOther, func(u *store.User) { u.NetworkAdmin = true })
	r.clinicAdmin = h.mustUser(r.clinic, care.ProfOther, func(u *store.User) { u.FacilityAdmin = true })
	r.doctorC = h.signIn(r.doctor)
	var p struct{ ID string }
	r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "見本 " + canaryName, "name_kana": "ミホン カナリア", "birth_date": "1940-02-03",
		"sex": "female", "address": "架空県つなぐ市1-1", "phone": "000-0000-0000"}).json(h.t, &p)
	r.patientID = p.ID
	var c struct{ ID string }
	r.doctorC.must(201, "POST", "/api/v1/patients/"+p.ID+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"}).json(h.t, &c)
	r.consentID = c.ID
	for _, m := range []struct {
		u    store.User
		role string
	}{{r.nurse, "visiting_nurse"}, {r.helper, "helper"}} {
		r.doctorC.must(201, "POST", "/api/v1/patients/"+p.ID+"/team", map[string]any{"user_id": m.u.ID, "role": m.role})
	}
	r.nurseC = h.signIn(r.nurse)
	r.helperC = h.signIn(r.helper)
	r.recordID = newID()
	r.nurseC.must(201, "POST", "/api/v1/patients/"+p.ID+"/records", map[string]any{"id": r.recordID, "kind": "nursing_visit",
		"occurred_at": h.clock.Now().Add(-time.Hour), "text": "訪問。著変なし。", "vitals": map[string]any{"temperature_c": 36.5, "spo2": 97}})
	return r
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
