package app

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// appShell serves the built web app. Unknown paths get index.html so that
// app routes survive a reload; the service worker script and the manifest
// are never cached by HTTP so that updates reach installed apps.
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
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		if _, err := fs.Stat(dist, name); err != nil {
			if _, err := fs.Stat(dist, "index.html"); err != nil {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusOK)
				w.Write([]byte("Tsunagu API is running. The web app is not built: run `make run` (it builds pwa/dist).\n"))
				return
			}
			r.URL.Path = "/"
		}
		switch {
		case name == "sw.js" || strings.HasSuffix(name, ".webmanifest") || name == "index.html" || r.URL.Path == "/":
			w.Header().Set("Cache-Control", "no-cache")
		case strings.HasPrefix(name, "assets/"):
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		files.ServeHTTP(w, r)
	})
}
