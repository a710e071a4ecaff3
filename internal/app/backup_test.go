package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/app"
	"tsunagu/internal/backup"
	"tsunagu/internal/blob"
	"tsunagu/internal/photo/phototest"
	"tsunagu/internal/store"
)

// runCommand runs one tsunagu command in this process and returns its
// standard output.
func runCommand(vars map[string]string, args ...string) (string, error) {
	var out, errb bytes.Buffer
	err := app.Run(context.Background(), app.Env{Args: append([]string{"tsunagu"}, args...), Getenv: env(vars),
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return out.String() + errb.String(), err
}

// TestBackupRestoreDrill is the restore drill: a backup is taken from a
// running server while nurses keep writing records with photos, restored
// into a fresh directory, checked (audit chain, counts, every blob's sum)
// and served again; a flipped byte in a generation is found by verify.
func TestBackupRestoreDrill(t *testing.T) {
	dataDir, backupDir := t.TempDir(), t.TempDir()
	vars := map[string]string{"TSUNAGU_ADDR": "127.0.0.1:0", "TSUNAGU_DATA_DIR": dataDir, "TSUNAGU_DEMO": "1", "TSUNAGU_REQUIRE_TOTP": "0"}
	p := startServerProcess(t, vars)
	c := newAPIClient(func() string { return "http://" + p.addr })
	nurse := c.signIn(t, "demo.nurse")
	patientID, _ := sharedPatient(t, c, map[string]string{"nurse": nurse})

	// Before the backup: a record citing two photos.
	var before []string
	for i := range 2 {
		before = append(before, uploadPhoto(t, c, patientID, i))
	}
	beforeRecord := uuid.Must(uuid.NewV7()).String()
	c.must(t, 201, "POST", "/api/v1/patients/"+patientID+"/records", map[string]any{"id": beforeRecord, "kind": "nursing_visit",
		"occurred_at": "2026-12-01T09:00:00+09:00", "text": "バックアップ前の記録", "attachment_ids": before}, nil)

	// Writers keep going while the backup runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 400; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "kind": "nursing_visit",
					"occurred_at": "2026-12-02T10:00:00+09:00", "text": fmt.Sprintf("記録 %d-%d", w, i)}
				if i%10 == 0 {
					body["attachment_ids"] = []string{uploadPhoto(t, c, patientID, 100*w+i)}
				}
				if status, b, err := c.do("POST", "/api/v1/patients/"+patientID+"/records", body); err != nil || status != 201 {
					t.Errorf("write during backup: %d %s %v", status, b, err)
					return
				}
				written.Add(1)
			}
		}()
	}
	for written.Load() < 10 {
		time.Sleep(10 * time.Millisecond)
	}
	out, err := runCommand(vars, "backup", "--to", backupDir, "--keep", "3")
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	atBackup := written.Load()
	for written.Load() < atBackup+10 && !t.Failed() {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	gens, err := backup.Generations(backupDir)
	if err != nil || len(gens) != 1 {
		t.Fatalf("generations: %v %v", gens, err)
	}
	gen := filepath.Join(backupDir, gens[0])
	m, err := backup.ReadManifest(gen)
	if err != nil {
		t.Fatal(err)
	}
	if m.Counts["record"] < 1+10 || m.Counts["attachment"] < 2 || m.SchemaVersion == 0 || m.AuditHead.Seq == 0 {
		t.Fatalf("manifest: %+v", m)
	}

	if out, err := runCommand(vars, "backup", "verify", gen); err != nil || !strings.Contains(out, "audit chain intact") {
		t.Fatalf("verify: %v\n%s", err, out)
	}

	// Restore into a fresh directory; a non-empty one is refused.
	if out, err := runCommand(vars, "restore", "--from", gen, "--to", dataDir); err == nil {
		t.Fatalf("restore over the live data directory was accepted:\n%s", out)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if out, err := runCommand(vars, "restore", "--from", gen, "--to", restored); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	rvars := map[string]string{"TSUNAGU_ADDR": "127.0.0.1:0", "TSUNAGU_DATA_DIR": restored, "TSUNAGU_REQUIRE_TOTP": "0"}
	if out, err := runCommand(rvars, "audit", "verify"); err != nil || !strings.Contains(out, "audit log intact") {
		t.Fatalf("audit verify of the restore: %v\n%s", err, out)
	}
	checkRestoredData(t, restored, m)

	// The restored server serves the record written before the backup.
	rp := startServerProcess(t, rvars)
	rc := newAPIClient(func() string { return "http://" + rp.addr })
	rc.signIn(t, "demo.nurse")
	var rec struct {
		Versions []struct {
			Text string `json:"text"`
		} `json:"versions"`
	}
	rc.must(t, 200, "GET", "/api/v1/records/"+beforeRecord, nil, &rec)
	if len(rec.Versions) == 0 || rec.Versions[0].Text != "バックアップ前の記録" {
		t.Fatalf("restored record: %+v", rec)
	}
	var dl struct {
		URL string `json:"url"`
	}
	rc.must(t, 200, "GET", "/api/v1/attachments/"+before[0], nil, &dl)
	if res, err := rc.c.Get("http://" + rp.addr + dl.URL); err != nil || res.StatusCode != 200 {
		t.Fatalf("restored photo: %v %v", err, res)
	}

	// A second generation hard-links the blobs it shares with the first.
	time.Sleep(1100 * time.Millisecond) // generations are named by the second
	if out, err := runCommand(vars, "backup", "--to", backupDir, "--keep", "3"); err != nil {
		t.Fatalf("second backup: %v\n%s", err, out)
	}
	gens, _ = backup.Generations(backupDir)
	if len(gens) != 2 {
		t.Fatalf("generations after the second backup: %v", gens)
	}
	shared := 0
	for _, f := range m.Files {
		if f.Key == "" {
			continue
		}
		a, errA := os.Stat(filepath.Join(backupDir, gens[0], f.Path))
		b, errB := os.Stat(filepath.Join(backupDir, gens[1], f.Path))
		if errA == nil && errB == nil && os.SameFile(a, b) {
			shared++
		}
	}
	if shared == 0 {
		t.Fatal("the second generation copied every blob again instead of linking the unchanged ones")
	}
	// --keep prunes the oldest.
	time.Sleep(1100 * time.Millisecond)
	if out, err := runCommand(vars, "backup", "--to", backupDir, "--keep", "1"); err != nil {
		t.Fatalf("third backup: %v\n%s", err, out)
	}
	if gens, _ = backup.Generations(backupDir); len(gens) != 1 {
		t.Fatalf("--keep 1 left %v", gens)
	}
	gen = filepath.Join(backupDir, gens[0])
	m, _ = backup.ReadManifest(gen)

	// A flipped byte anywhere is found: in a blob, and in the database.
	for _, pick := range []func(backup.File) bool{
		func(f backup.File) bool { return f.Key != "" },
		func(f backup.File) bool { return f.Key == "" },
	} {
		for _, f := range m.Files {
			if !pick(f) {
				continue
			}
			path := filepath.Join(gen, f.Path)
			flipByte(t, path)
			out, err := runCommand(vars, "backup", "verify", gen)
			if err == nil || !strings.Contains(out, "DAMAGED "+f.Path) {
				t.Fatalf("a flipped byte in %s was not found: %v\n%s", f.Path, err, out)
			}
			flipByte(t, path) // back as it was
			break
		}
	}
	if out, err := runCommand(vars, "backup", "verify", gen); err != nil {
		t.Fatalf("verify after undoing the flips: %v\n%s", err, out)
	}
}

// checkRestoredData compares the restored database with the manifest and
// every attachment's blobs with their sums.
func checkRestoredData(t *testing.T, dir string, m backup.Manifest) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "tsunagu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs, err := blob.OpenDisk(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	var atts []struct {
		SHA   string `db:"sha256"`
		Thumb string `db:"thumb_sha"`
	}
	err = db.Read(ctx, func(tx *store.Tx) error {
		for _, table := range backup.Counted {
			var n int64
			if err := tx.Get(ctx, &n, `SELECT COUNT(*) FROM `+table); err != nil {
				return err
			}
			if n != m.Counts[table] {
				t.Errorf("%s: %d rows restored, manifest says %d", table, n, m.Counts[table])
			}
		}
		return tx.Select(ctx, &atts, `SELECT sha256, COALESCE(thumb_sha, '') AS thumb_sha FROM attachment`)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range atts {
		for _, key := range []string{blob.ContentKey(blob.KindImage, a.SHA), blob.ContentKey(blob.KindThumb, a.Thumb)} {
			rc, _, err := blobs.Get(ctx, key)
			if err != nil {
				t.Fatalf("restored blob %s: %v", key, err)
			}
			h := sha256.New()
			io.Copy(h, rc)
			rc.Close()
			if got := hex.EncodeToString(h.Sum(nil)); !strings.HasSuffix(key, got) {
				t.Fatalf("restored blob %s has sum %s", key, got)
			}
		}
	}
}

// uploadPhoto uploads a distinct generated photo of the patient.
func uploadPhoto(t *testing.T, c *apiClient, patientID string, n int) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 48, 32))
	for i := range img.Pix {
		img.Pix[i] = byte(n*37 + i*11)
	}
	img.Set(0, 0, color.NRGBA{byte(n), byte(n >> 8), 7, 255})
	id := uuid.Must(uuid.NewV7()).String()
	req, _ := http.NewRequest("PUT", c.base()+"/api/v1/attachments/"+id+"?patient_id="+patientID, bytes.NewReader(phototest.JPEG(img)))
	req.Header.Set("Content-Type", "image/jpeg")
	res, err := c.c.Do(req)
	if err != nil {
		t.Errorf("upload: %v", err)
		return id
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Errorf("upload: %d %s", res.StatusCode, b)
	}
	return id
}

func flipByte(t *testing.T, path string) {
	t.Helper()
	os.Chmod(path, 0o600)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(path, b, 0o400); err != nil {
		t.Fatal(err)
	}
}
