package app_test

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// pgDatabase makes a database of its own on the test server (a server
// process uses it whole) and returns an admin connection, its name and URL.
func pgDatabase(t *testing.T, prefix string) (*sql.DB, string, string) {
	t.Helper()
	admin, err := sql.Open("pgx", storetest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	name := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1e6)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
	base := storetest.PostgresURL()
	url := base[:strings.LastIndex(strings.SplitN(base, "?", 2)[0], "/")+1] + name
	if i := strings.Index(base, "?"); i >= 0 {
		url += base[i:]
	}
	return admin, name, url
}

// TestPostgresBackupDrill runs scripts/pg-backup-drill.sh against a
// database a running server writes to: the dump restores into a scratch
// database whose audit chain verifies, and the counts compare.
func TestPostgresBackupDrill(t *testing.T) {
	if !strings.Contains(strings.Join(storetest.Engines(t), ","), store.Postgres) {
		t.Skip("no PostgreSQL")
	}
	if _, err := exec.LookPath("pg_dump"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pg_dump is not installed")
		}
		t.Skip("pg_dump not installed")
	}
	admin, _, url := pgDatabase(t, "tsunagu_drill_src")

	addr := startInProcess(t, map[string]string{"TSUNAGU_ADDR": "127.0.0.1:0", "TSUNAGU_DATA_DIR": t.TempDir(), "TSUNAGU_DATABASE_URL": url,
		"TSUNAGU_DEMO": "1", "TSUNAGU_REQUIRE_TOTP": "0"})
	c := newAPIClient(func() string { return "http://" + addr })
	c.signIn(t, "demo.nurse")
	c.must(t, 200, "GET", "/api/v1/patients", nil, nil)

	cmd := exec.Command("bash", "../../scripts/pg-backup-drill.sh", url, t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "audit log intact") || !strings.Contains(string(out), "drill: passed") {
		t.Fatalf("drill: %v\n%s", err, out)
	}
	var left int
	admin.QueryRow(`SELECT count(*) FROM pg_database WHERE datname LIKE 'tsunagu_restore_drill_%'`).Scan(&left)
	if left != 0 {
		t.Fatalf("the drill left %d scratch databases", left)
	}
}
