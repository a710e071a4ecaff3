package api

import (
	"testing"
)

// cursorFuzzKey signs the cursors of FuzzDecodeCursor and of its seeds in
// testdata/fuzz/FuzzDecodeCursor (real cursors of users A and B, of an old
// schema version, and edited ones).
var cursorFuzzKey = []byte("tsunagu-fuzz-cursor-key-32-bytes")

const (
	cursorUserA = "01900000-0000-7000-8000-00000000000a"
	cursorUserB = "01900000-0000-7000-8000-00000000000b"
)

// FuzzDecodeCursor gives any string to the pull cursor decoder, as user A
// with a change log of last entries. It must never panic; it refuses with
// the cursor error (410) or accepts, and it accepts exactly the cursors the
// server itself signed for A: the accepted cursor is, byte for byte, the one
// encodeCursor makes for A at the decoded position, and that position is
// within the log. Any edit of a signed cursor, one of another user, or an
// unsigned one is refused.
func FuzzDecodeCursor(f *testing.F) {
	s := &Server{cursorKey: cursorFuzzKey}
	f.Fuzz(func(t *testing.T, raw string, last int64) {
		c, err := s.decodeCursor(cursorUserA, raw, last)
		if err != nil {
			if err != errCursor {
				t.Fatalf("refused with %v, want the cursor error", err)
			}
			return
		}
		if raw == "" {
			if c.Seq != 0 {
				t.Fatalf("the empty cursor decodes to %d", c.Seq)
			}
			return
		}
		if c.Seq < 0 || c.Seq > last {
			t.Fatalf("accepted position %d outside the log 0..%d", c.Seq, last)
		}
		if want := s.encodeCursor(cursorUserA, c); raw != want {
			t.Fatalf("accepted %q, which the server did not sign (its cursor for %d is %q)", raw, c.Seq, want)
		}
		if _, err := s.decodeCursor(cursorUserB, raw, last); err == nil {
			t.Fatalf("user B accepted user A's cursor %q", raw)
		}
	})
}
