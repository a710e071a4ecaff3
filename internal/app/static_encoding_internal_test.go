package app

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"tsunagu/pwa"
)

// encodedDist is a build with precompressed variants next to some files (as
// pwa/vite.config.ts writes them): real gzip for .gz, and marked bytes for
// .br (the server never decodes them, it only picks them).
func encodedDist(t *testing.T) fstest.MapFS {
	t.Helper()
	d := testDist()
	js := strings.Repeat("console.log('つなぐ');", 50)
	d["assets/index-1.js"] = &fstest.MapFile{Data: []byte(js)}
	for _, name := range []string{"assets/index-1.js", "index.html", "sw.js", "manifest.webmanifest"} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(d[name].Data)
		zw.Close()
		d[name+".gz"] = &fstest.MapFile{Data: buf.Bytes()}
		d[name+".br"] = &fstest.MapFile{Data: []byte("BR:" + name)}
	}
	d["assets/index-1.css.gz"] = &fstest.MapFile{Data: gz(t, "body{}")} // gzip only
	return d
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.Bytes()
}

func do(h http.Handler, method, path string, hdr map[string]string) *http.Response {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// TestAppShellEncodings: the precompressed variant the client accepts best is
// served with Content-Encoding, the original's Content-Type and caching, and
// Vary: Accept-Encoding; without an acceptable one, the file as is.
func TestAppShellEncodings(t *testing.T) {
	d := encodedDist(t)
	h := appShell(d)
	cases := []struct {
		path, accept, want string // want: "br", "gzip" or "" (identity)
	}{
		{"/assets/index-1.js", "gzip, deflate, br, zstd", "br"},
		{"/assets/index-1.js", "gzip, deflate", "gzip"},
		{"/assets/index-1.js", "br;q=0.5, gzip", "gzip"},
		{"/assets/index-1.js", "br;q=0, gzip;q=0", ""},
		{"/assets/index-1.js", "BR", "br"},
		{"/assets/index-1.js", "x-gzip", "gzip"},
		{"/assets/index-1.js", "*", "br"},
		{"/assets/index-1.js", "*;q=0, gzip", "gzip"},
		{"/assets/index-1.js", "identity", ""},
		{"/assets/index-1.js", "", ""},
		{"/assets/index-1.js", "br;q=nonsense", ""},
		{"/assets/index-1.css", "br, gzip", "gzip"},
		{"/assets/index-1.css", "br", ""},
		{"/", "br", "br"},
		{"/today", "gzip", "gzip"}, // an app route: index.html, compressed
		{"/index.html", "br", "br"},
		{"/sw.js", "gzip", "gzip"},
		{"/manifest.webmanifest", "br", "br"},
	}
	for _, c := range cases {
		res := do(h, "GET", c.path, map[string]string{"Accept-Encoding": c.accept})
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Errorf("GET %s (%q): %d", c.path, c.accept, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Content-Encoding"); got != c.want {
			t.Errorf("GET %s (%q): Content-Encoding %q, want %q", c.path, c.accept, got, c.want)
		}
		if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("GET %s (%q): Vary %q", c.path, c.accept, res.Header.Get("Vary"))
		}
		name := strings.TrimPrefix(c.path, "/")
		if name == "" || name == "today" {
			name = "index.html"
		}
		var want []byte
		switch c.want {
		case "br":
			want = d[name+".br"].Data
		case "gzip":
			want = d[name+".gz"].Data
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Errorf("GET %s (%q): not gzip: %v", c.path, c.accept, err)
				continue
			}
			if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, d[name].Data) {
				t.Errorf("GET %s (%q): decodes to %q", c.path, c.accept, plain)
			}
		default:
			want = d[name].Data
		}
		if !bytes.Equal(body, want) {
			t.Errorf("GET %s (%q): body %q, want %q", c.path, c.accept, body, want)
		}
		if got := res.Header.Get("Content-Length"); got != "" && got != itoa(len(want)) {
			t.Errorf("GET %s (%q): Content-Length %s for %d bytes", c.path, c.accept, got, len(want))
		}
		ctype := res.Header.Get("Content-Type")
		switch {
		case strings.HasSuffix(name, ".js") && !strings.HasPrefix(ctype, "text/javascript"),
			strings.HasSuffix(name, ".css") && !strings.HasPrefix(ctype, "text/css"),
			strings.HasSuffix(name, ".html") && !strings.HasPrefix(ctype, "text/html"),
			strings.HasSuffix(name, ".webmanifest") && ctype != "application/manifest+json":
			t.Errorf("GET %s (%q): Content-Type %q", c.path, c.accept, ctype)
		}
		cache := res.Header.Get("Cache-Control")
		switch {
		case strings.HasPrefix(name, "assets/") && cache != "public, max-age=31536000, immutable",
			(name == "index.html" || name == "sw.js" || strings.HasSuffix(name, ".webmanifest")) && cache != "no-cache":
			t.Errorf("GET %s (%q): Cache-Control %q", c.path, c.accept, cache)
		}
		if csp := res.Header.Get("Content-Security-Policy"); csp != appPolicy {
			t.Errorf("GET %s (%q): CSP %q", c.path, c.accept, csp)
		}
	}
	// A file without variants neither varies nor is encoded.
	res := do(h, "GET", "/icons/icon-192.png", map[string]string{"Accept-Encoding": "br, gzip"})
	if res.Header.Get("Content-Encoding") != "" || res.Header.Get("Vary") != "" {
		t.Errorf("png: Content-Encoding %q, Vary %q", res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestAppShellEncodedRangesHeadETags: HEAD has the headers and no body; a
// range is of the encoded bytes and carries the encoding; each encoding has
// its own ETag, and If-None-Match answers 304 for the same encoding only.
func TestAppShellEncodedRangesHeadETags(t *testing.T) {
	d := encodedDist(t)
	h := appShell(d)
	head := do(h, "HEAD", "/assets/index-1.js", map[string]string{"Accept-Encoding": "gzip"})
	if b, _ := io.ReadAll(head.Body); head.StatusCode != 200 || len(b) != 0 || head.Header.Get("Content-Encoding") != "gzip" ||
		head.Header.Get("Content-Length") != itoa(len(d["assets/index-1.js.gz"].Data)) {
		t.Errorf("HEAD: %d, %d body bytes, %v", head.StatusCode, len(b), head.Header)
	}
	rng := do(h, "GET", "/assets/index-1.js", map[string]string{"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
	b, _ := io.ReadAll(rng.Body)
	if rng.StatusCode != http.StatusPartialContent || !bytes.Equal(b, d["assets/index-1.js.gz"].Data[:10]) || rng.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("range: %d %q %v", rng.StatusCode, b, rng.Header)
	}
	ident := do(h, "GET", "/assets/index-1.js", map[string]string{"Range": "bytes=0-6"})
	if b, _ := io.ReadAll(ident.Body); ident.StatusCode != http.StatusPartialContent || string(b) != "console" || ident.Header.Get("Content-Encoding") != "" {
		t.Errorf("identity range: %d %q", ident.StatusCode, b)
	}
	tags := map[string]string{}
	for _, enc := range []string{"br", "gzip", ""} {
		res := do(h, "GET", "/", map[string]string{"Accept-Encoding": enc})
		tag := res.Header.Get("ETag")
		if tag == "" || !strings.HasPrefix(tag, `"`) {
			t.Fatalf("%q: ETag %q", enc, tag)
		}
		for other, o := range tags {
			if o == tag {
				t.Errorf("%q and %q share the ETag %s", enc, other, tag)
			}
		}
		tags[enc] = tag
		if res := do(h, "GET", "/", map[string]string{"Accept-Encoding": enc, "If-None-Match": tag}); res.StatusCode != http.StatusNotModified {
			t.Errorf("%q: If-None-Match its own ETag: %d", enc, res.StatusCode)
		}
	}
	if res := do(h, "GET", "/", map[string]string{"Accept-Encoding": "br", "If-None-Match": tags["gzip"]}); res.StatusCode != 200 {
		t.Errorf("br with the gzip ETag: %d, want the br body", res.StatusCode)
	}
}

// TestRobots: /robots.txt keeps every crawler out, built app or not; it is
// not the app's index.html.
func TestRobots(t *testing.T) {
	for name, d := range map[string]fstest.MapFS{"built": testDist(), "not built": {".keep": {}}} {
		res := do(appShell(d), "GET", "/robots.txt", nil)
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || string(b) != "User-agent: *\nDisallow: /\n" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s: %d %q %q", name, res.StatusCode, res.Header.Get("Content-Type"), b)
		}
	}
}

// TestBuiltAppPrecompressed: when pwa/dist holds a build, every text file of
// it has its Brotli and gzip copies (scripts/precompress.mjs), the gzip one
// decodes to the file, and the server sends them: so a build step that
// stopped compressing, or a file type left out, shows here.
func TestBuiltAppPrecompressed(t *testing.T) {
	dist, err := fs.Sub(pwa.Dist, "dist")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(dist, "index.html"); err != nil {
		t.Skip("pwa/dist is not built (scripts/web.sh)")
	}
	h := appShell(dist)
	n := 0
	err = fs.WalkDir(dist, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch path.Ext(name) {
		case ".js", ".css", ".html", ".webmanifest":
		default:
			return nil
		}
		n++
		raw, _ := fs.ReadFile(dist, name)
		for _, suffix := range []string{".br", ".gz"} {
			b, err := fs.ReadFile(dist, name+suffix)
			if err != nil {
				t.Errorf("%s has no %s copy", name, suffix)
				continue
			}
			if len(b) >= len(raw) {
				t.Errorf("%s%s is %d bytes, the file %d", name, suffix, len(b), len(raw))
			}
		}
		if zr, err := gzip.NewReader(bytes.NewReader(mustRead(t, dist, name+".gz"))); err == nil {
			if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, raw) {
				t.Errorf("%s.gz does not decode to %s", name, name)
			}
		}
		url := "/" + name
		if name == "index.html" {
			url = "/"
		}
		for _, enc := range []string{"br", "gzip"} {
			if res := do(h, "GET", url, map[string]string{"Accept-Encoding": enc}); res.StatusCode != 200 || res.Header.Get("Content-Encoding") != enc {
				t.Errorf("GET %s (%s): %d, Content-Encoding %q", url, enc, res.StatusCode, res.Header.Get("Content-Encoding"))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Errorf("only %d text files in the build", n)
	}
}

func mustRead(t *testing.T, fsys fs.FS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil
	}
	return b
}
