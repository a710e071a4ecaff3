package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"
)

// TestMetrics: /metrics counts requests by route template (never a path
// with an id), group commits and open streams; it is served behind the
// token on the main listener and alone on its own listener, and holds no
// patient data.
func TestMetrics(t *testing.T) {
	dir := t.TempDir()
	const token = "metrics-token-0123456789abcdef"
	metricsPort := freePort(t)
	addr := startInProcess(t, map[string]string{"TSUNAGU_ADDR": "127.0.0.1:0", "TSUNAGU_DATA_DIR": dir, "TSUNAGU_DEMO": "1",
		"TSUNAGU_REQUIRE_TOTP": "0", "TSUNAGU_METRICS_TOKEN": token, "TSUNAGU_METRICS_ADDR": "127.0.0.1:" + metricsPort})
	base := "http://" + addr
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	body, _ := json.Marshal(map[string]string{"login_id": "demo.nurse", "password": "tsunagu-demo-2026"})
	if res, err := c.Post(base+"/api/v1/session", "application/json", bytes.NewReader(body)); err != nil || res.StatusCode != 200 {
		t.Fatalf("sign in: %v %v", err, res)
	}
	var list struct {
		Patients []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"patients"`
	}
	res, err := c.Get(base + "/api/v1/patients")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&list)
	res.Body.Close()
	if len(list.Patients) == 0 {
		t.Fatal("no demo patients")
	}
	p := list.Patients[0]
	if res, err := c.Get(base + "/api/v1/patients/" + p.ID); err != nil || res.StatusCode != 200 {
		t.Fatalf("patient: %v %v", err, res)
	}

	scrape := func(url, auth string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if status, _ := scrape(base+"/metrics", ""); status != 401 {
		t.Fatalf("metrics without the token: %d", status)
	}
	if status, _ := scrape(base+"/metrics", "Bearer wrong-token-0123456789abcdef"); status != 401 {
		t.Fatalf("metrics with a wrong token: %d", status)
	}
	status, text := scrape(base+"/metrics", "Bearer "+token)
	if status != 200 {
		t.Fatalf("metrics with the token: %d", status)
	}
	for _, want := range []string{
		`tsunagu_http_requests_total{route="GET /api/v1/patients/{id}",status="2xx"} 1`,
		`tsunagu_http_requests_total{route="POST /api/v1/session",status="2xx"} 1`,
		`tsunagu_http_request_duration_seconds_count{route="GET /api/v1/patients"}`,
		"tsunagu_group_commit_writes_count",
		"tsunagu_outbox_depth",
		"tsunagu_event_streams 0",
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, secret := range []string{p.ID, p.Name, "demo.nurse"} {
		if secret != "" && strings.Contains(text, secret) {
			t.Errorf("metrics hold %q", secret)
		}
	}
	if status, other := scrape("http://127.0.0.1:"+metricsPort+"/metrics", ""); status != 200 || !strings.Contains(other, "tsunagu_http_requests_total") {
		t.Fatalf("metrics listener: %d", status)
	}
}
