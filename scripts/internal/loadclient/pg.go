package loadclient

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// FreshSchema makes a schema of its own, named prefix_<time>, in the
// PostgreSQL database at url and returns the URL that uses it and what
// drops it.
func FreshSchema(url, prefix string) (string, func() error, error) {
	admin, err := sql.Open("pgx", url)
	if err != nil {
		return "", nil, err
	}
	schema := fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema, func() error {
		defer admin.Close()
		_, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		return err
	}, nil
}
