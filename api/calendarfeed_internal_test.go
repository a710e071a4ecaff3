package api

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWriteFoldedAndEscape(t *testing.T) {
	for _, in := range []string{"SUMMARY:短い", "SUMMARY:" + strings.Repeat("訪問看護、", 40), "X:" + strings.Repeat("a", 200), "X:" + strings.Repeat("a", 73) + "あ"} {
		var b strings.Builder
		writeFolded(&b, in)
		out := b.String()
		if !strings.HasSuffix(out, "\r\n") {
			t.Fatalf("no CRLF: %q", out)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
		for i, l := range lines {
			if len(l) > 75 || !utf8.ValidString(l) || (i > 0 && !strings.HasPrefix(l, " ")) {
				t.Errorf("bad folded line %d (%d octets): %q", i, len(l), l)
			}
		}
		if unfolded := strings.ReplaceAll(strings.TrimSuffix(out, "\r\n"), "\r\n ", ""); unfolded != in {
			t.Errorf("unfolding gives %q, want %q", unfolded, in)
		}
	}
	if got := icsText("a,b;c\\d\ne"); got != `a\,b\;c\\d\ne` {
		t.Errorf("icsText = %q", got)
	}
}
