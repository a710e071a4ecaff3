package loadclient

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// pushServer answers every push with the given statuses, one a mutation.
func pushServer(t *testing.T, statuses ...string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			DeviceID  string            `json:"device_id"`
			Mutations []json.RawMessage `json:"mutations"`
		}
		if r.URL.Path != "/api/v1/sync/push" || json.NewDecoder(r.Body).Decode(&in) != nil || in.DeviceID != "dev" {
			http.Error(w, `{"code":"bad"}`, 422)
			return
		}
		res := []map[string]string{}
		for i := range in.Mutations {
			res = append(res, map[string]string{"status": statuses[i%len(statuses)]})
		}
		json.NewEncoder(w).Encode(map[string]any{"results": res})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPushFailsUnlessEveryMutationIsApplied(t *testing.T) {
	m := RecordMutation(1, "p")
	if err := New(pushServer(t, "applied").URL).Push("dev", m, m); err != nil {
		t.Errorf("all applied: %v", err)
	}
	for _, st := range []string{"rejected", "retry", "conflict", "duplicate"} {
		err := New(pushServer(t, "applied", st).URL).Push("dev", m, m)
		if err == nil || !strings.Contains(err.Error(), st) {
			t.Errorf("one %s: %v, want an error naming it", st, err)
		}
	}
	var se *StatusError
	if err := New(pushServer(t, "applied").URL).Push("other", m); !errors.As(err, &se) || se.Status != 422 {
		t.Errorf("422: %v, want a *StatusError", err)
	}
}

func TestJSONAndGetReportTheStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			io.WriteString(w, `{"cursor":"c1"}`)
			return
		}
		w.WriteHeader(503)
	}))
	defer srv.Close()
	c := New(srv.URL)
	var out struct{ Cursor string }
	if err := c.JSON("GET", "/ok", nil, &out); err != nil || out.Cursor != "c1" {
		t.Errorf("JSON /ok: %v %+v", err, out)
	}
	if err := c.Get("/ok"); err != nil {
		t.Errorf("Get /ok: %v", err)
	}
	for name, err := range map[string]error{"JSON": c.JSON("GET", "/down", nil, nil), "Get": c.Get("/down")} {
		var se *StatusError
		if !errors.As(err, &se) || se.Status != 503 {
			t.Errorf("%s /down: %v, want a *StatusError of 503", name, err)
		}
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	if p := Percentile(xs, 0.5); p != 3 {
		t.Errorf("median %v", p)
	}
	if p := Percentile(xs, 1); p != 5 {
		t.Errorf("max %v", p)
	}
	if p := Percentile(nil, 0.5); p != 0 {
		t.Errorf("empty %v", p)
	}
}
