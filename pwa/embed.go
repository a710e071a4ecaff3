// Package pwa embeds the built web app (pwa/dist) into the server binary.
package pwa

import "embed"

// Dist is the built app; dist/.keep keeps the embed valid before a build.
//
//go:embed all:dist
var Dist embed.FS
