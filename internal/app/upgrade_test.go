package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyDir copies the fixture tree src into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeFromRelease941e101 starts this build on a data directory made
// by the release at commit 941e101 (schema 11: the demo region plus records
// with vitals, amendments, read receipts, photos, a sync push and weekly
// series, written through that release's API). The start migrates it; the
// audit chain stays intact and what the old release stored is served.
func TestUpgradeFromRelease941e101(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, filepath.Join("testdata", "release-941e101"), dir)
	vars := map[string]string{"TSUNAGU_ADDR": "127.0.0.1:0", "TSUNAGU_DATA_DIR": dir, "TSUNAGU_REQUIRE_TOTP": "0",
		"TSUNAGU_PASSWORD_MAX_AGE_DAYS": "0", "TSUNAGU_DORMANT_AFTER_DAYS": "0"}
	if out, err := runCommand(vars, "migrate", "status"); err != nil || !strings.Contains(out, "00011_record_confirmed_at.sql  applied") || !strings.Contains(out, "pending") {
		t.Fatalf("status of the old database: %v\n%s", err, out)
	}
	p := startServerProcess(t, vars)
	c := newAPIClient(func() string { return "http://" + p.addr })
	c.signIn(t, "demo.nurse")

	var list struct {
		Patients []struct{ ID string } `json:"patients"`
	}
	c.must(t, 200, "GET", "/api/v1/patients", nil, &list)
	found, photos := 0, 0
	for _, pt := range list.Patients {
		var tl struct {
			Records []struct {
				ID            string   `json:"id"`
				Version       int      `json:"version"`
				Text          string   `json:"text"`
				AttachmentIDs []string `json:"attachment_ids"`
			} `json:"records"`
		}
		c.must(t, 200, "GET", "/api/v1/patients/"+pt.ID+"/records", nil, &tl)
		for _, r := range tl.Records {
			if !strings.HasPrefix(r.Text, "旧版の訪問記録") {
				continue
			}
			found++
			if r.Version != 2 || !strings.HasSuffix(r.Text, "（追記）") {
				t.Errorf("record %s: version %d %q", r.ID, r.Version, r.Text)
			}
			for _, a := range r.AttachmentIDs {
				var dl struct {
					URL string `json:"url"`
				}
				c.must(t, 200, "GET", "/api/v1/attachments/"+a, nil, &dl)
				if status, _, err := c.do("GET", dl.URL, nil); err != nil || status != 200 {
					t.Errorf("photo of the old release: %d %v", status, err)
				}
				photos++
			}
		}
		var cal struct {
			Days []struct {
				Visits []struct{ ID string } `json:"visits"`
			} `json:"days"`
		}
		c.must(t, 200, "GET", "/api/v1/patients/"+pt.ID+"/visits?from=2026-11-23&to=2026-12-31", nil, &cal)
	}
	if found != 4 || photos != 4 {
		t.Fatalf("the old release's records: %d found with %d photos, want 4 and 4", found, photos)
	}
	c.must(t, 200, "GET", "/api/v1/sync/pull", nil, nil)
	p.stop()

	if out, err := runCommand(vars, "migrate", "status"); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("status after the start: %v\n%s", err, out)
	}
	if out, err := runCommand(vars, "audit", "verify"); err != nil || !strings.Contains(out, "audit log intact") {
		t.Fatalf("audit chain after the upgrade: %v\n%s", err, out)
	}
}
