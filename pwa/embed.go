// Package pwa carries the built iPad web app so the server binary can serve it.
package pwa

import "embed"

// Dist is the output of `npm run build` (pwa/dist). Before a build it holds only
// the .keep placeholder, so the server must treat a missing index.html as
// "web app not built" rather than crash.
//
//go:embed all:dist
var Dist embed.FS
