// Package loadclient is the API client of the load generators in
// scripts/ (bench, prefecture, soak): a signed-in user's session, the
// requests they time, and the sync calls (push, pull, a new device's first
// sync) the way the app makes them.
package loadclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
)

// DemoPassword is the password of the demo users (TSUNAGU_DEMO=1).
const DemoPassword = "tsunagu-demo-2026"

// Client is one signed-in user of one server (its session cookie), as a
// device would hold it.
type Client struct {
	Base string
	HTTP *http.Client
}

// New is a client of the server at base with no session yet.
func New(base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{Base: base, HTTP: &http.Client{Jar: jar, Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
}

// SignIn is a client of base signed in as login with password.
func SignIn(base, login, password string) (*Client, error) {
	c := New(base)
	if err := c.JSON("POST", "/api/v1/session", map[string]any{"login_id": login, "password": password}, nil); err != nil {
		return nil, err
	}
	return c, nil
}

// MustSignIn is SignIn that panics on failure (the fill steps of the
// generators, where a failure ends the run).
func MustSignIn(base, login, password string) *Client {
	c, err := SignIn(base, login, password)
	if err != nil {
		panic(err)
	}
	return c
}

// Do sends body (JSON, when not nil) and returns the status and the whole
// answer.
func (c *Client) Do(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req)
}

// Raw sends body as it is, of contentType (an attachment's upload).
func (c *Client) Raw(method, path, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, c.Base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	return c.send(req)
}

func (c *Client) send(req *http.Request) (int, []byte, error) {
	res, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// StatusError is an answer of an unexpected status.
type StatusError struct {
	Method, Path string
	Status       int
	Body         []byte
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %.300s", e.Method, e.Path, e.Status, e.Body)
}

// JSON sends body and decodes a 2xx answer into out (when not nil); any
// other status is a *StatusError.
func (c *Client) JSON(method, path string, body, out any) error {
	st, b, err := c.Do(method, path, body)
	if err == nil && (st < 200 || st >= 300) {
		err = &StatusError{method, path, st, b}
	}
	if err == nil && out != nil {
		err = json.Unmarshal(b, out)
	}
	return err
}

// MustJSON is JSON that panics on failure.
func (c *Client) MustJSON(method, path string, body, out any) {
	if err := c.JSON(method, path, body, out); err != nil {
		panic(err)
	}
}

// Get reads path and only counts the answer's bytes (of a 500-record
// pull, 400 KB), so that the load generator, on the same cores as the
// server, takes as little of them as it can. A status other than 200 is a
// *StatusError.
func (c *Client) Get(path string) error {
	res, err := c.HTTP.Get(c.Base + path)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		return &StatusError{"GET", path, res.StatusCode, b}
	}
	bp := discardBuffers.Get().(*[]byte)
	defer discardBuffers.Put(bp)
	for {
		if _, err := res.Body.Read(*bp); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

var discardBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// Push sends mutations from device and fails unless every one of them
// was applied.
func (c *Client) Push(device string, ms ...any) error {
	var a struct {
		Results []struct {
			Status string `json:"status"`
		} `json:"results"`
	}
	st, b, err := c.Do("POST", "/api/v1/sync/push", map[string]any{"device_id": device, "mutations": ms})
	if err != nil {
		return err
	}
	if st != 200 {
		return &StatusError{"POST", "/api/v1/sync/push", st, b}
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	if len(a.Results) != len(ms) {
		return fmt.Errorf("push: %d results for %d mutations: %.300s", len(a.Results), len(ms), b)
	}
	for _, r := range a.Results {
		if r.Status != "applied" {
			return fmt.Errorf("push: a mutation %s: %.300s", r.Status, b)
		}
	}
	return nil
}

// PushOne sends one mutation from device.
func (c *Client) PushOne(device string, m map[string]any) error { return c.Push(device, m) }

// RecordMutation is a record.create of a short nursing-visit record with
// vitals, the device's seq-th mutation.
func RecordMutation(seq int64, patientID string) map[string]any {
	return map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "seq": seq, "type": "record.create", "args": map[string]any{
		"patient_id": patientID, "id": uuid.Must(uuid.NewV7()).String(), "kind": "nursing_visit", "occurred_at": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
		"text": "バイタル安定。食事摂取良好。", "vitals": map[string]any{"temperature_c": 36.6, "bp_systolic": 128, "bp_diastolic": 76, "pulse": 72, "spo2": 97}}}
}

// PullPage is one answer of GET /sync/pull.
type PullPage struct {
	Changes []json.RawMessage `json:"changes"`
	Cursor  string            `json:"cursor"`
	HasMore bool              `json:"has_more"`
	Resets  []struct {
		PatientID string `json:"patient_id"`
	} `json:"resets"`
}

// PullAll follows the cursor to the end and returns the changes it read
// and the cursor at the end; each page's latency goes to lat (when not nil).
func (c *Client) PullAll(cursor string, lat func(time.Duration)) (int, string, error) {
	n := 0
	for {
		var a PullPage
		t := time.Now()
		if err := c.JSON("GET", "/api/v1/sync/pull?limit=500&cursor="+cursor, nil, &a); err != nil {
			return n, cursor, err
		}
		if lat != nil {
			lat(time.Since(t))
		}
		n += len(a.Changes)
		cursor = a.Cursor
		if !a.HasMore {
			return n, cursor, nil
		}
	}
}

// SyncFromEmpty is a new device's first sync: snapshots of every patient,
// then the changes since; each request's latency goes to lat (when not nil).
func (c *Client) SyncFromEmpty(lat func(time.Duration)) (int, error) {
	var first PullPage
	t := time.Now()
	if err := c.JSON("GET", "/api/v1/sync/pull", nil, &first); err != nil {
		return 0, err
	}
	if lat != nil {
		lat(time.Since(t))
	}
	n := 0
	for _, r := range first.Resets {
		var snap PullPage
		t := time.Now()
		if err := c.JSON("GET", "/api/v1/sync/pull?patient_id="+r.PatientID+"&cursor="+first.Cursor, nil, &snap); err != nil {
			return n, err
		}
		if lat != nil {
			lat(time.Since(t))
		}
		n += len(snap.Changes)
	}
	m, _, err := c.PullAll(first.Cursor, lat)
	return n + m, err
}

// Cursor is the cursor at the head of the change log (a device that has
// pulled everything).
func (c *Client) Cursor() (string, error) {
	_, cur, err := c.PullAll("", nil)
	return cur, err
}

// Percentile is the p-quantile (0..1) of xs, which it sorts.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	return xs[min(len(xs)-1, int(float64(len(xs))*p))]
}

// Must is v, or a panic with err (the fill steps of the generators, where
// a failure ends the run).
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
