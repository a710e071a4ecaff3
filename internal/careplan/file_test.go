package careplan_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"tsunagu/internal/careplan"
)

// line builds a row from the column definitions: the fields by column
// number, days given by number; the rest empty, the total computed.
func line(month string, kind string, days ...int) []string {
	f := make([]string, len(careplan.Columns))
	set := func(c int, v string) { f[c-1] = v }
	set(careplan.ColVersion, careplan.CSVVersion)
	set(careplan.ColInsurer, "139998")
	set(careplan.ColInsured, "0000012345")
	set(careplan.ColMonth, month)
	set(careplan.ColCreated, "20261125")
	set(careplan.ColPlanner, "1370000001")
	set(careplan.ColProvider, "1360000002")
	set(careplan.ColType, "13")
	set(careplan.ColItem, "1211")
	set(careplan.ColService, "訪問看護Ⅰ２")
	set(careplan.ColStart, "1000")
	set(careplan.ColEnd, "1030")
	set(careplan.ColKind, kind)
	for _, d := range days {
		set(careplan.ColDay1+d-1, "1")
	}
	set(careplan.ColTotal, itoa(len(days)))
	return f
}

func itoa(n int) string { return strconv.Itoa(n) }

func sjis(t *testing.T, rows ...[]string) []byte {
	t.Helper()
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, ",") + "\r\n")
	}
	out, err := japanese.ShiftJIS.NewEncoder().String(b.String())
	if err != nil {
		t.Fatal(err)
	}
	return []byte(out)
}

const planName = "UPPLAN_202612_1370000001_1360000002_20261125093000.CSV"

func TestInsurerCheckDigit(t *testing.T) {
	for _, ok := range []string{"131011", "141002", "271007", "011007", "435073", "139998"} {
		if err := careplan.ValidInsurerNumber(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"131012", "13101", "1310111", "13101a", "", "435074"} {
		if careplan.ValidInsurerNumber(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestReadPlan(t *testing.T) {
	n, rows, err := careplan.Read(planName, sjis(t, line("202612", "1", 1, 8, 31)))
	if err != nil {
		t.Fatal(err)
	}
	if n.From != "1370000001" || n.To != "1360000002" || n.Month.Format("2006-01") != "2026-12" {
		t.Errorf("name %+v", n)
	}
	if len(rows) != 1 || !rows[0].Days[0] || !rows[0].Days[7] || !rows[0].Days[30] || rows[0].Days[1] || rows[0].Service != "訪問看護Ⅰ２" {
		t.Errorf("rows %+v", rows)
	}
}

func TestReadRefusesWithRowAndColumn(t *testing.T) {
	good := line("202612", "1", 3)
	utf8Row := []byte(strings.Join(good, ",") + "\r\n") // Japanese in UTF-8
	short := good[:44]
	for _, c := range []struct {
		name     string
		file     []byte
		row, col int
		rule     string
	}{
		{"UTF-8 instead of MS932", append(sjis(t, good), utf8Row...), 2, careplan.ColService, careplan.RuleEncoding},
		{"bytes MS932 lacks", append(sjis(t, good), []byte("2023,\x85\x40\r\n")...), 2, 2, careplan.RuleEncoding},
		{"wrong column count", sjis(t, good, short), 2, 0, careplan.RuleColumns},
		{"a month that does not exist", sjis(t, line("202613", "1", 3)), 1, careplan.ColMonth, careplan.RuleMonth},
		{"the 31st of a 30-day month", []byte(nil), 1, careplan.ColDay1 + 30, careplan.RuleNoSuchDay},
		{"another month than the name's", sjis(t, line("202611", "1", 3)), 1, careplan.ColMonth, careplan.RuleFileMonth},
		{"bad check digit", func() []byte { r := line("202612", "1", 3); r[1] = "139999"; return sjis(t, r) }(), 1, careplan.ColInsurer, careplan.RuleInsurerNumber},
		{"a 実績 row in a 予定 file", sjis(t, line("202612", "2", 3)), 1, careplan.ColKind, careplan.RuleRowKind},
		{"total not the sum", func() []byte { r := line("202612", "1", 3); r[careplan.ColTotal-1] = "2"; return sjis(t, r) }(), 1, careplan.ColTotal, careplan.RuleTotal},
	} {
		t.Run(c.name, func(t *testing.T) {
			name, file := planName, c.file
			if file == nil { // November has 30 days
				name = strings.Replace(planName, "202612", "202611", 1)
				file = sjis(t, line("202611", "1", 31))
			}
			_, rows, err := careplan.Read(name, file)
			e, ok := careplan.AsError(err)
			if !ok {
				t.Fatalf("accepted (%d rows), want row %d column %d", len(rows), c.row, c.col)
			}
			if e.Row != c.row || e.Column != c.col || e.Rule != c.rule {
				t.Errorf("got %v, want row %d column %d: %s", e, c.row, c.col, c.rule)
			}
			if rows != nil {
				t.Error("rows returned with the error")
			}
		})
	}
	if _, _, err := careplan.Read("plan.csv", sjis(t, good)); err == nil {
		t.Error("a file not named by the standard was accepted")
	}
}

func TestWriteReadsBack(t *testing.T) {
	_, rows, err := careplan.Read(planName, sjis(t, line("202612", "1", 2, 9)))
	if err != nil {
		t.Fatal(err)
	}
	rows[0].Kind = careplan.KindActual
	rows[0].Days = [31]bool{}
	rows[0].Days[1] = true
	var b bytes.Buffer
	if err := careplan.Write(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) || bytes.Contains(b.Bytes(), []byte("訪問")) {
		t.Errorf("not MS932 with CRLF: %q", b.String())
	}
	back, got, err := careplan.Read("UPJSK_202612_1360000002_1370000001_20270101090000.CSV", b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if back.Prefix != careplan.PrefixActual || len(got) != 1 || got[0].Total != 1 || !got[0].Days[1] || got[0].Service != "訪問看護Ⅰ２" {
		t.Errorf("read back %+v %+v", back, got)
	}
}
