package app_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"tsunagu/internal/store"
)

func TestVersionAndMigrateStatus(t *testing.T) {
	out, err := runCommand(nil, "version")
	if err != nil || !strings.Contains(out, fmt.Sprintf("schema %d\n", store.SchemaVersion())) || !strings.HasPrefix(out, "tsunagu ") {
		t.Fatalf("version: %v\n%s", err, out)
	}
	if store.SchemaVersion() < 11 {
		t.Fatalf("schema version %d: the embedded migrations were not counted", store.SchemaVersion())
	}
	dir := t.TempDir()
	vars := map[string]string{"TSUNAGU_DATA_DIR": dir}
	out, err = runCommand(vars, "migrate", "status")
	if err != nil || !strings.Contains(out, "pending") || strings.Contains(out, "applied 2") {
		t.Fatalf("status of a new database: %v\n%s", err, out)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "tsunagu.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err = runCommand(vars, "migrate", "status")
	if err != nil || !strings.Contains(out, "up to date") || strings.Contains(out, "pending") || !strings.Contains(out, "00001_backbone.sql") {
		t.Fatalf("status of a migrated database: %v\n%s", err, out)
	}
}
