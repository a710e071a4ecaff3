package app

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"tsunagu/pwa"
)

func testDist() fstest.MapFS {
	return fstest.MapFS{
		"index.html":                 {Data: []byte(`<!doctype html><script type="module" src="/assets/index-1.js"></script>`)},
		"assets/index-1.js":          {Data: []byte(`console.log(1)`)},
		"assets/index-1.css":         {Data: []byte(`body{}`)},
		"manifest.webmanifest":       {Data: []byte(`{"name":"つなぐ"}`)},
		"sw.js":                      {Data: []byte(`self.addEventListener('fetch',()=>{})`)},
		"icons/icon-192.png":         {Data: []byte("\x89PNG\r\n\x1a\n")},
		"assets/nested/deeper/x.txt": {Data: []byte("x")},
	}
}

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Result()
}

// TestAppShellHeaders: every answer of the web app carries its policy; no
// directory is listed; the manifest has its own media type; app routes get
// index.html, a missing asset a 404.
func TestAppShellHeaders(t *testing.T) {
	h := appShell(testDist())
	for _, p := range []string{"/", "/today", "/assets/index-1.js", "/assets/index-1.css", "/manifest.webmanifest", "/sw.js", "/icons/icon-192.png", "/assets/", "/assets/nope.js"} {
		res := get(t, h, p)
		csp := res.Header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'self'", "script-src 'self'", "connect-src 'self'", "img-src 'self' blob: data:", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("GET %s: CSP %q lacks %q", p, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: CSP %q allows inline or eval", p, csp)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("GET %s: %s = %q", p, k, got)
			}
		}
	}
	for _, p := range []string{"/assets/", "/assets", "/icons/", "/assets/nested/", "/assets/nested/deeper/", "/assets/nope.js", "/icons/nope.png"} {
		res := get(t, h, p)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode == http.StatusOK || strings.Contains(string(body), "<a href") || strings.Contains(string(body), "index-1") {
			t.Errorf("GET %s: %d %q (a listing, or the app for a missing asset)", p, res.StatusCode, body)
		}
	}
	if res := get(t, h, "/manifest.webmanifest"); res.Header.Get("Content-Type") != "application/manifest+json" {
		t.Errorf("manifest served as %q", res.Header.Get("Content-Type"))
	}
	if res := get(t, h, "/calendar/today"); res.StatusCode != 200 {
		t.Errorf("an app route: %d", res.StatusCode)
	} else if b, _ := io.ReadAll(res.Body); !strings.Contains(string(b), "index-1.js") {
		t.Errorf("an app route does not get index.html: %q", b)
	}
}

var inlineScript = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)

// TestNoInlineScript: the app's index.html (as written and as built, when
// pwa/dist holds a build) loads every script from a file, so that the CSP
// needs no 'unsafe-inline'; no element carries an event handler attribute.
func TestNoInlineScript(t *testing.T) {
	pages := map[string][]byte{}
	src, err := os.ReadFile("../../pwa/index.html")
	if err != nil {
		t.Fatal(err)
	}
	pages["pwa/index.html"] = src
	if built, err := fs.ReadFile(pwa.Dist, "dist/index.html"); err == nil {
		pages["pwa/dist/index.html"] = built
	}
	for name, b := range pages {
		for _, m := range inlineScript.FindAllStringSubmatch(string(b), -1) {
			if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
				t.Errorf("%s: inline script %q", name, m[0])
			}
		}
		if regexp.MustCompile(`(?i)\son[a-z]+\s*=`).Match(b) || strings.Contains(string(b), "javascript:") {
			t.Errorf("%s: an inline event handler or javascript: URL", name)
		}
	}
}
