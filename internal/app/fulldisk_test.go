package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestFullDiskOnTmpfs runs the real server with its data directory (the
// SQLite database and the photos) on a small tmpfs, as a real disk fills.
// Nurses write records, and photos, until the server refuses them:
//   - every write is answered 201, or 503 unavailable with Retry-After —
//     never another 5xx — and /healthz answers 503 for as long as writes
//     fail, however many background writes that change nothing commit;
//   - once the file system is grown, /healthz answers 200 again without a
//     write from the test (a load balancer that took the server out sends
//     it none) and a new write is accepted;
//   - started again on the same directory, the server has every record and
//     photo it acknowledged, with its text, and none it refused.
//
// Mounting needs root (CI runs as root); elsewhere the test is skipped,
// except under CI=true, where it fails.
func TestFullDiskOnTmpfs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := mountTmpfs(t, "3m")
	vars := map[string]string{"TSUNAGU_ADDR": "127.0.0.1:0", "TSUNAGU_DATA_DIR": dir,
		"TSUNAGU_DEMO": "1", "TSUNAGU_REQUIRE_TOTP": "0"}
	srv := startServerProcess(t, vars)
	var mu sync.Mutex
	base := "http://" + srv.addr
	baseURL := func() string { mu.Lock(); defer mu.Unlock(); return base }
	health := func() int {
		res, err := http.Get(baseURL() + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	c := newAPIClient(baseURL)
	nurse := c.signIn(t, "demo.nurse")
	patientID, _ := sharedPatient(t, c, map[string]string{"nurse": nurse})
	if got := health(); got != 200 {
		t.Fatalf("healthz at the start: %d", got)
	}

	// Four nurses' apps write at once, so that writes share commits; each
	// record is long, and every fifth write is also a photo.
	long := string([]rune(strings.Repeat("訪問時、ディスクが満ちていく。", 260))[:3000])
	var (
		wmu         sync.Mutex
		acked       = map[string]string{} // record id → text, answered 201
		refused     = map[string]bool{}   // record ids answered 503
		photos      = map[string][]byte{} // attachment id → the image sent, answered 201
		refusedPics = map[string]bool{}
		statuses    = map[string]map[int]int{"record": {}, "photo": {}}
		full        = make(chan struct{})
		fullOnce    sync.Once
	)
	check := func(what, id string, status int, body []byte, header http.Header) bool {
		wmu.Lock()
		defer wmu.Unlock()
		statuses[what][status]++
		switch status {
		case 201:
			return true
		case 503:
			var p struct {
				Code string `json:"code"`
			}
			json.Unmarshal(body, &p)
			if p.Code != "unavailable" || header.Get("Retry-After") == "" {
				t.Errorf("%s %s on a full disk: 503 %s (Retry-After %q)", what, id, body, header.Get("Retry-After"))
			}
		default:
			t.Errorf("%s %s on a full disk: %d %s\n%s", what, id, status, body, errorLines(srv.logs.String()))
		}
		return false
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; ; i++ {
				select {
				case <-full:
					return
				default:
				}
				if t.Failed() || i > 2000 {
					fullOnce.Do(func() { close(full) })
					return
				}
				if i%5 == 4 {
					id, img := uuid.Must(uuid.NewV7()).String(), noiseJPEG(t, rnd)
					status, body, header := putImage(t, c, "/api/v1/attachments/"+id+"?patient_id="+patientID, img)
					ok := check("photo", id, status, body, header)
					wmu.Lock()
					if ok {
						photos[id] = img
					} else {
						refusedPics[id] = true
					}
					wmu.Unlock()
				}
				id, text := uuid.Must(uuid.NewV7()).String(), fmt.Sprintf("%d-%d %s", w, i, long)
				status, body, header := postRecord(t, c, patientID, id, text)
				ok := check("record", id, status, body, header)
				wmu.Lock()
				if ok {
					acked[id] = text
				} else {
					refused[id] = true
				}
				wmu.Unlock()
				if !ok {
					fullOnce.Do(func() { close(full) })
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("answers while filling: %v; %d records and %d photos acknowledged", statuses, len(acked), len(photos))
	if t.Failed() {
		return
	}
	if len(refused) == 0 {
		t.Fatal("the disk never filled up")
	}
	if len(acked) == 0 {
		t.Fatal("no write went through before the disk was full")
	}
	// The last pages: short records until they fail too.
	for i := 0; ; i++ {
		id, text := uuid.Must(uuid.NewV7()).String(), fmt.Sprintf("短い記録 %d", i)
		status, body, header := postRecord(t, c, patientID, id, text)
		if !check("record", id, status, body, header) {
			refused[id] = true
			break
		}
		acked[id] = text
		if i > 2000 {
			t.Fatal("short records never filled the disk")
		}
	}
	if t.Failed() {
		return
	}

	// For as long as writes still fail — long enough for the background
	// writes that change nothing (the push worker looks for due pushes
	// every 2 s) to commit — readiness says so.
	for until := time.Now().Add(5 * time.Second); time.Now().Before(until); time.Sleep(200 * time.Millisecond) {
		if got := health(); got != 503 {
			t.Fatalf("healthz while writes fail: %d", got)
		}
		id := uuid.Must(uuid.NewV7()).String()
		status, body, header := postRecord(t, c, patientID, id, "満杯")
		if check("record", id, status, body, header) {
			t.Fatal("a write went through on the full disk")
		}
		refused[id] = true
	}

	// Room again: readiness comes back without a write, then writes do.
	remountTmpfs(t, dir, "64m")
	waitFor(t, "healthz to answer 200 once the disk has room", func() bool { return health() == 200 })
	id, text := uuid.Must(uuid.NewV7()).String(), "空きができた"
	if status, body, _ := postRecord(t, c, patientID, id, text); status != 201 {
		t.Fatalf("write once the disk has room: %d %s\n%s", status, body, errorLines(srv.logs.String()))
	}
	acked[id] = text

	// The same server, started again on the same directory.
	srv.stop()
	srv = startServerProcess(t, vars)
	mu.Lock()
	base = "http://" + srv.addr
	mu.Unlock()
	for id, text := range acked {
		var rec struct {
			Text string `json:"text"`
		}
		c.must(t, 200, "GET", "/api/v1/records/"+id, nil, &rec)
		if rec.Text != text {
			t.Fatalf("acknowledged record %s came back with another text (%d bytes, want %d)", id, len(rec.Text), len(text))
		}
	}
	for id := range refused {
		c.must(t, 404, "GET", "/api/v1/records/"+id, nil, nil)
	}
	for id, img := range photos {
		var u struct {
			URL string `json:"url"`
		}
		c.must(t, 200, "GET", "/api/v1/attachments/"+id, nil, &u)
		res, err := c.c.Get(baseURL() + u.URL)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// The server keeps a sanitized re-encoding, not the bytes sent.
		if res.StatusCode != 200 || len(got) == 0 {
			t.Fatalf("acknowledged photo %s (%d bytes sent): %d, %d bytes", id, len(img), res.StatusCode, len(got))
		}
		if _, err := jpeg.Decode(bytes.NewReader(got)); err != nil {
			t.Fatalf("acknowledged photo %s does not decode: %v", id, err)
		}
	}
	for id := range refusedPics {
		c.must(t, 404, "GET", "/api/v1/attachments/"+id, nil, nil)
	}
	if got := health(); got != 200 {
		t.Fatalf("healthz after the restart: %d", got)
	}
}

// mountTmpfs mounts a tmpfs of size (as mount's size= option) on a new
// directory and unmounts it when the test ends, lazily if it is still
// busy. Without the right to mount the test is skipped, or fails under CI.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot mount a tmpfs (needs root; uid %d): %v %s", os.Getuid(), err, bytes.TrimSpace(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			if out2, err2 := exec.Command("umount", "-l", dir).CombinedOutput(); err2 != nil {
				t.Errorf("unmount %s: %v %s; lazily: %v %s", dir, err, out, err2, out2)
			}
		}
	})
	return dir
}

// remountTmpfs changes the size of a tmpfs mounted by mountTmpfs.
func remountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs: %v %s", err, out)
	}
}

// waitFor polls cond with a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s", what)
		}
	}
}

// postRecord writes a nursing record and returns the answer.
func postRecord(t *testing.T, c *apiClient, patientID, id, text string) (int, []byte, http.Header) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"id": id, "kind": "nursing_visit", "occurred_at": "2026-12-02T10:00:00+09:00", "text": text})
	return send(t, c, "POST", "/api/v1/patients/"+patientID+"/records", "application/json", b)
}

// putImage uploads a JPEG as an attachment and returns the answer.
func putImage(t *testing.T, c *apiClient, path string, img []byte) (int, []byte, http.Header) {
	t.Helper()
	return send(t, c, "PUT", path, "image/jpeg", img)
}

// send is apiClient.do with any body, and the answer's headers; the server
// must answer.
func send(t *testing.T, c *apiClient, method, path, contentType string, body []byte) (int, []byte, http.Header) {
	req, _ := http.NewRequest(method, c.base()+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	res, err := c.c.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0, nil, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header
}

// noiseJPEG is a photo that compresses badly, so that a few of them take
// real room on the disk.
func noiseJPEG(t *testing.T, rnd *rand.Rand) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for i := range img.Pix {
		img.Pix[i] = uint8(rnd.Uint32())
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Error(err)
	}
	return b.Bytes()
}
