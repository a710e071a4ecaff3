package api_test

import (
	"flag"
	"os"
	"testing"

	"tsunagu/internal/store"
)

var update = flag.Bool("update", false, "rewrite api/openapi.yaml from the code")

// TestOpenAPIContract fails when the operations in code and the committed
// contract (which the web app generates its types from) differ. Refresh the
// file with: go test ./api -run TestOpenAPIContract -update
func TestOpenAPIContract(t *testing.T) {
	h := newHarness(t, store.SQLite)
	got, err := h.hapi.OpenAPI().YAML()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("openapi.yaml", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatalf("read the committed contract: %v (create it with -update)", err)
	}
	if string(got) != string(want) {
		t.Fatal("api/openapi.yaml differs from the API in code; review the change and run: go test ./api -run TestOpenAPIContract -update")
	}
	// The server serves the same document.
	res := h.anon().must(200, "GET", "/openapi.yaml", nil)
	if res.body != string(want) {
		t.Fatal("GET /openapi.yaml differs from api/openapi.yaml")
	}
}
