package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/app"
	"tsunagu/internal/store/storetest"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestServeAndShutDown starts the real server through Run, as main does,
// waits for /healthz, signs in to the demo region and shuts down cleanly.
func TestServeAndShutDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		dir := t.TempDir()
		vars := map[string]string{"TSUNAGU_ADDR": "127.0.0.1:0", "TSUNAGU_DATA_DIR": dir, "TSUNAGU_DATABASE_URL": storetest.URL(t, engine),
			"TSUNAGU_DEMO": "1", "TSUNAGU_REQUIRE_TOTP": "0"}
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		var out, logs bytes.Buffer
		done := make(chan error, 1)
		go func() {
			done <- app.Run(ctx, app.Env{Args: []string{"tsunagu", "serve"}, Getenv: env(vars), Stdin: strings.NewReader(""), Stdout: &out, Stderr: &logs,
				Ready: func(a string) { ready <- a }})
		}()
		var addr string
		select {
		case addr = <-ready:
		case err := <-done:
			t.Fatalf("Run ended early: %v\n%s", err, logs.String())
		case <-time.After(60 * time.Second):
			t.Fatal("server did not start")
		}
		res, err := http.Get("http://" + addr + "/healthz")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("healthz: %v %v", err, res)
		}
		if !strings.Contains(out.String(), "demo.nurse") {
			t.Fatalf("the demo welcome does not say how to sign in:\n%s", out.String())
		}
		body, _ := json.Marshal(map[string]string{"login_id": "demo.nurse", "password": "tsunagu-demo-2026"})
		res, err = http.Post("http://"+addr+"/api/v1/session", "application/json", bytes.NewReader(body))
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("demo sign-in: %v %v", err, res)
		}
		if strings.Contains(logs.String(), "見本") || strings.Contains(logs.String(), "架空") {
			t.Fatalf("patient details in the log:\n%s", logs.String())
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("shutdown: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no graceful shutdown")
		}
	})
}

func TestCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		vars := map[string]string{"TSUNAGU_DATA_DIR": t.TempDir(), "TSUNAGU_DATABASE_URL": storetest.URL(t, engine)}
		run := func(stdin string, args ...string) (string, error) {
			var out, errb bytes.Buffer
			err := app.Run(context.Background(), app.Env{Args: append([]string{"tsunagu"}, args...), Getenv: env(vars), Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
			return out.String(), err
		}
		if _, err := run("password\n", "admin", "create-network-admin", "--login-id", "office.admin"); err == nil || !strings.Contains(err.Error(), "policy") {
			t.Fatalf("a common password must be refused: %v", err)
		}
		out, err := run("hydrangea-office-2026\n", "admin", "create-network-admin", "--login-id", "office.admin")
		if err != nil || !strings.Contains(out, "office.admin") {
			t.Fatalf("create-network-admin: %v %s", err, out)
		}
		if _, err := run("hydrangea-office-2026\n", "admin", "create-network-admin", "--login-id", "office.admin"); err == nil {
			t.Fatal("a second admin with the same login id was created")
		}
		out, err = run("", "audit", "verify")
		if err != nil || !strings.Contains(out, "intact: 1 events") {
			t.Fatalf("audit verify: %v %s", err, out)
		}
	})
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	cases := map[string]string{
		"TSUNAGU_SESSION_IDLE":          "soon",
		"TSUNAGU_PASSWORD_MAX_AGE_DAYS": "-1",
		"TSUNAGU_REQUIRE_TOTP":          "maybe",
		"TSUNAGU_CLINICAL_PROFESSIONS":  "doctor,wizard",
		"TSUNAGU_ADDR":                  "8080",
		"TSUNAGU_PUSH_LEASE":            "1s",
	}
	for name, value := range cases {
		_, err := app.LoadConfig(env(map[string]string{name: value}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error %v does not name the variable", name, value, err)
		}
	}
	c, err := app.LoadConfig(env(nil))
	if err != nil || !c.RequireTOTP || c.PasswordMaxAge != 90*24*time.Hour || c.SessionIdle != 15*time.Minute {
		t.Fatalf("defaults: %+v %v", c, err)
	}
}
