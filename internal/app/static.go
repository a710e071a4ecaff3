package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// appPolicy is the Content-Security-Policy of the web app: scripts, styles,
// workers and the manifest from this origin only (index.html carries no
// inline script), API calls to this origin only, photos also as blob: and
// data: URLs (decrypted in the page), and never inside another site's frame.
const appPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// robotsTxt keeps crawlers out: the app holds nothing for a search engine,
// and its sign-in page should not be listed. Served by the server itself, so
// it holds whether or not the web app is built.
const robotsTxt = "User-agent: *\nDisallow: /\n"

// encodings are the precompressed variants the build writes next to each
// asset (pwa/vite.config.ts: name.br, name.gz), in the server's order of
// preference when the client accepts several equally.
var encodings = []struct{ token, suffix string }{{"br", ".br"}, {"gzip", ".gz"}}

// appShell serves the built web app. Unknown paths get index.html so that
// app routes survive a reload, except under /assets/ (a missing hashed
// file is a 404, and no directory is ever listed); the service worker
// script and the manifest are never cached by HTTP so that updates reach
// installed apps. A file with a precompressed variant (.br, .gz) is served
// in the best encoding the client accepts (Accept-Encoding), else as is.
func appShell(dist fs.FS) http.Handler {
	files := http.FileServerFS(dist)
	tags := &etags{dist: dist}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", appPolicy)
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		if name == "robots.txt" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "public, max-age=86400")
			http.ServeContent(w, r, name, time.Time{}, strings.NewReader(robotsTxt))
			return
		}
		info, err := fs.Stat(dist, name)
		switch {
		case err == nil && info.IsDir():
			http.NotFound(w, r) // no listings (/assets/, /icons/)
			return
		case err != nil && (strings.HasPrefix(name, "assets/") || strings.HasPrefix(name, "icons/")):
			http.NotFound(w, r)
			return
		case err != nil:
			if _, err := fs.Stat(dist, "index.html"); err != nil {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusOK)
				w.Write([]byte("Tsunagu API is running. The web app is not built: run `make run` (it builds pwa/dist).\n"))
				return
			}
			name = "index.html"
			r.URL.Path = "/"
		}
		ctype := mime.TypeByExtension(path.Ext(name))
		switch {
		case name == "sw.js" || name == "index.html":
			w.Header().Set("Cache-Control", "no-cache")
		case strings.HasSuffix(name, ".webmanifest"):
			w.Header().Set("Cache-Control", "no-cache")
			ctype = "application/manifest+json"
			w.Header().Set("Content-Type", ctype)
		case strings.HasPrefix(name, "assets/"):
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		if serveEncoded(w, r, dist, tags, name, ctype) {
			return
		}
		if tag := tags.of(name, ""); tag != "" {
			w.Header().Set("ETag", tag)
		}
		files.ServeHTTP(w, r)
	})
}

// serveEncoded answers with the precompressed variant of name that the
// request accepts, if there is one: the variant's bytes with
// Content-Encoding, the Content-Type of the original, and its own ETag
// (ranges, HEAD and conditional requests by http.ServeContent, over the
// encoded bytes as RFC 9110 has it). Whenever name has a variant, the answer
// varies by Accept-Encoding, also the identity one; it reports false when it
// wrote nothing but that header.
func serveEncoded(w http.ResponseWriter, r *http.Request, dist fs.FS, tags *etags, name, ctype string) bool {
	if ctype == "" || strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz") {
		return false // unknown types are sniffed from the identity bytes; a variant itself is served as is
	}
	var have []string
	for _, e := range encodings {
		if _, err := fs.Stat(dist, name+e.suffix); err == nil {
			have = append(have, e.token)
		}
	}
	if len(have) == 0 {
		return false
	}
	w.Header().Add("Vary", "Accept-Encoding")
	token := negotiate(r.Header.Values("Accept-Encoding"), have)
	if token == "" {
		return false
	}
	suffix := ".br"
	if token == "gzip" {
		suffix = ".gz"
	}
	b, err := fs.ReadFile(dist, name+suffix)
	if err != nil {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Encoding", token)
	if tag := tags.of(name, token); tag != "" {
		h.Set("ETag", tag)
	}
	if r.Header.Get("Range") == "" {
		// ServeContent leaves the length out once an encoding is set (it
		// cannot know a wrapped writer's); these bytes are final.
		h.Set("Content-Length", strconv.Itoa(len(b)))
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	return true
}

// negotiate picks from have (in the server's order of preference) the coding
// the Accept-Encoding field values accept with the highest weight; "" means
// identity. A coding with q=0 is refused; "*" stands for codings not named.
func negotiate(fields []string, have []string) string {
	weights := map[string]float64{}
	star := -1.0
	for _, f := range fields {
		for _, part := range strings.Split(f, ",") {
			tok, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			tok = strings.ToLower(strings.TrimSpace(tok))
			if tok == "" {
				continue
			}
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if x, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && x >= 0 && x <= 1 {
						q = x
					} else {
						q = 0 // a malformed weight accepts nothing
					}
				}
			}
			if tok == "x-gzip" {
				tok = "gzip"
			}
			if tok == "*" {
				star = q
			} else if old, ok := weights[tok]; !ok || q > old {
				weights[tok] = q
			}
		}
	}
	best, bestQ := "", 0.0
	for _, c := range have {
		q, ok := weights[c]
		if !ok {
			q = max(star, 0)
		}
		if q > bestQ {
			best, bestQ = c, q
		}
	}
	return best
}

// etags are strong validators of the built files (the embedded files have
// no modification time, so without them index.html could not be
// revalidated), one per file and encoding, computed on first use.
type etags struct {
	dist fs.FS
	m    sync.Map // name + "\x00" + coding → `"…"` or ""
}

func (t *etags) of(name, coding string) string {
	key := name + "\x00" + coding
	if v, ok := t.m.Load(key); ok {
		return v.(string)
	}
	file := name
	switch coding {
	case "br":
		file += ".br"
	case "gzip":
		file += ".gz"
	}
	tag := ""
	if b, err := fs.ReadFile(t.dist, file); err == nil {
		sum := sha256.Sum256(b)
		tag = `"` + hex.EncodeToString(sum[:12])
		if coding != "" {
			tag += "-" + coding
		}
		tag += `"`
	}
	t.m.Store(key, tag)
	return tag
}
