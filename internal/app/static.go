package app

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// appPolicy is the Content-Security-Policy of the web app: scripts, styles,
// workers and the manifest from this origin only (index.html carries no
// inline script), API calls to this origin only, photos also as blob: and
// data: URLs (decrypted in the page), and never inside another site's frame.
const appPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// appShell serves the built web app. Unknown paths get index.html so that
// app routes survive a reload, except under /assets/ (a missing hashed
// file is a 404, and no directory is ever listed); the service worker
// script and the manifest are never cached by HTTP so that updates reach
// installed apps.
func appShell(dist fs.FS) http.Handler {
	files := http.FileServerFS(dist)
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
		switch {
		case name == "sw.js" || name == "index.html":
			w.Header().Set("Cache-Control", "no-cache")
		case strings.HasSuffix(name, ".webmanifest"):
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("Content-Type", "application/manifest+json")
		case strings.HasPrefix(name, "assets/"):
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		files.ServeHTTP(w, r)
	})
}
