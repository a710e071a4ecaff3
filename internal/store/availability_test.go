package store_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

func TestIsUnavailable(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"not found", store.ErrNotFound, false},
		{"application error", care.ErrForbidden, false},
		{"canceled by the client", context.Canceled, false},
		{"PostgreSQL shutting down", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"PostgreSQL starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"PostgreSQL disk full", &pgconn.PgError{Code: "53100"}, true},
		{"PostgreSQL connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"PostgreSQL unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"PostgreSQL syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"closed pool", errors.New("sql: database is closed"), true},
		{"blob file on a full disk", fmt.Errorf("write blob: %w", &fs.PathError{Op: "write", Path: "blobs/x", Err: syscall.ENOSPC}), true},
		{"blob file on a read-only disk", &fs.PathError{Op: "open", Path: "blobs/x", Err: syscall.EROFS}, true},
		{"blob file missing", &fs.PathError{Op: "open", Path: "blobs/x", Err: syscall.ENOENT}, false},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}, true},
	} {
		if got := store.IsUnavailable(tt.err); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
