package careplan_test

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"tsunagu/internal/careplan"
)

// line builds a row from the standard's column definitions (No. 1–25 of
// 「第6表（サービス利用票）、実績情報」): one service code on one day.
func line(month, day string) []string {
	f := make([]string, len(careplan.Columns))
	set := func(c int, v string) { f[c-1] = v }
	set(careplan.ColVersion, careplan.CSVVersion)
	set(careplan.ColInsurer, "139998")
	set(careplan.ColInsured, "0000012345")
	set(careplan.ColCreated, "20261125")
	set(careplan.ColMonth, month)
	set(careplan.ColPlanner, "1370000001")
	set(careplan.ColPlannerName, `"見本 ケアマネ"`)
	set(careplan.ColUnits, "823")
	set(careplan.ColDate, month+day)
	set(careplan.ColStart, "1000")
	set(careplan.ColEnd, "1030")
	set(careplan.ColCount, "1")
	set(careplan.ColCode, "131211")
	set(careplan.ColProvider, "1360000002")
	set(careplan.ColProviderName, `"ひまわり訪問看護ステーション"`)
	set(careplan.ColOver30, "0")
	set(careplan.ColUpdater, "1370000001")
	return f
}

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

const planName = "UPPLAN_202612_1370000001_43_1360000002_13_20261125093000.CSV"

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
	for _, ok := range []string{"0000012345", "H123456789"} {
		if careplan.ValidInsuredNumber(ok) != nil {
			t.Errorf("被保険者番号 %q refused", ok)
		}
	}
	for _, bad := range []string{"H12345678", "h123456789", "12345", "HH12345678"} {
		if careplan.ValidInsuredNumber(bad) == nil {
			t.Errorf("被保険者番号 %q accepted", bad)
		}
	}
}

// TestColumnsAreTheStandards: the table is the 25 columns of the standard,
// every one confirmed, in the standard's order and with its 項目長 and 必須.
func TestColumnsAreTheStandards(t *testing.T) {
	want := []struct {
		name     string
		length   int
		required bool
	}{
		{"CSVバージョン", 6, true}, {"保険者番号", 6, true}, {"被保険者番号", 10, true}, {"作成年月日", 8, true}, {"対象年月", 6, true},
		{"プラン担当業者コード", 10, false}, {"プラン担当者名", 0, false}, {"単位数", 6, false}, {"前月までの短期入所利用日数", 5, false},
		{"サービス利用日", 8, true}, {"日割対象日", 31, false}, {"サービス開始時刻", 4, true}, {"サービス終了時刻", 4, true},
		{"サービス回数", 2, true}, {"サービスコード", 6, true}, {"TAISコード", 12, false}, {"福祉用具届出コード", 12, false},
		{"用具名称（機種名）", 0, false}, {"明細判別コード", 2, false}, {"サービス事業者コード", 10, true}, {"サービス事業所名", 0, false},
		{"サテライト枝番", 2, false}, {"３０日超区分", 1, true}, {"更新業者コード", 10, false}, {"識別子", 1, false},
	}
	if len(careplan.Columns) != len(want) {
		t.Fatalf("%d columns, the standard has %d", len(careplan.Columns), len(want))
	}
	for i, c := range careplan.Columns {
		w := want[i]
		if c.No != i+1 || c.Name != w.name || c.Length != w.length || c.Required != w.required || c.Source != careplan.Confirmed {
			t.Errorf("No.%d: %+v, want %+v", i+1, c, w)
		}
	}
}

func TestReadPlan(t *testing.T) {
	extra := line("202612", "08")
	extra[careplan.ColPlannerName-1] = `"見本, ""ケアマネ""` + "\r\n" + `2行目"` // free text: a comma, quotes, a line break
	extra[careplan.ColStart-1], extra[careplan.ColEnd-1] = careplan.NoTime, careplan.NoTime
	n, rows, err := careplan.Read(planName, sjis(t, line("202612", "01"), extra, line("202612", "31")))
	if err != nil {
		t.Fatal(err)
	}
	if n.From != "1370000001" || n.FromKind != "43" || n.To != "1360000002" || n.ToKind != "13" || n.Month.Format("2006-01") != "2026-12" {
		t.Errorf("name %+v", n)
	}
	if len(rows) != 3 || rows[0].Day() != 1 || rows[1].Day() != 8 || rows[2].Day() != 31 || rows[2].Line != 4 {
		t.Fatalf("rows %+v", rows)
	}
	r := rows[0]
	if r.ServiceType() != "13" || r.ServiceItem() != "1211" || r.Start != "1000" || r.End != "1030" || r.Count != 1 || r.ProviderOffice != "1360000002" ||
		r.ProviderName != "ひまわり訪問看護ステーション" || r.PlannerOffice != "1370000001" || !r.Timed() {
		t.Errorf("row %+v", r)
	}
	if rows[1].PlannerName != "見本, \"ケアマネ\"\n2行目" || rows[1].Timed() {
		t.Errorf("free text or 9999: %+v", rows[1])
	}
	// A 3.x name (vol.1156: no service type codes) is read too.
	if n, _, err := careplan.Read("UPPLAN_202612_1370000001_1360000002_20261125093000.CSV", sjis(t, line("202612", "01"))); err != nil || n.FromKind != "" || n.To != "1360000002" {
		t.Errorf("3.x name: %+v %v", n, err)
	}
}

func TestReadRefusesWithRowAndColumn(t *testing.T) {
	good := line("202612", "03")
	utf8Row := []byte(strings.Join(good, ",") + "\r\n") // Japanese in UTF-8
	with := func(col int, v string) []byte {
		r := line("202612", "03")
		r[col-1] = v
		return sjis(t, r)
	}
	for _, c := range []struct {
		name     string
		file     []byte
		row, col int
		rule     string
	}{
		{"UTF-8 instead of MS932", append(sjis(t, good), utf8Row...), 2, careplan.ColPlannerName, careplan.RuleEncoding},
		{"bytes MS932 lacks", append(sjis(t, good), []byte("202407,\x85\x40\r\n")...), 2, 2, careplan.RuleEncoding},
		{"wrong column count (a 3.x row of 22)", sjis(t, good, good[:22]), 2, 0, careplan.RuleColumns},
		{"a month that does not exist", with(careplan.ColMonth, "202613"), 1, careplan.ColMonth, careplan.RuleMonth},
		{"another month than the name's", with(careplan.ColMonth, "202611"), 1, careplan.ColMonth, careplan.RuleFileMonth},
		{"a day the month does not have", nil, 1, careplan.ColDate, careplan.RuleDate},
		{"a day of another month", with(careplan.ColDate, "20270103"), 1, careplan.ColDate, careplan.RuleUseDay},
		{"bad check digit", with(careplan.ColInsurer, "139999"), 1, careplan.ColInsurer, careplan.RuleInsurerNumber},
		{"no 被保険者番号", with(careplan.ColInsured, ""), 1, careplan.ColInsured, careplan.RuleRequired},
		{"a service code of 4", with(careplan.ColCode, "1312"), 1, careplan.ColCode, careplan.RuleCode},
		{"a time that is none", with(careplan.ColStart, "2500"), 1, careplan.ColStart, careplan.RuleTime},
		{"end before start", with(careplan.ColEnd, "0930"), 1, careplan.ColEnd, careplan.RuleEnd},
		{"one time 9999", with(careplan.ColEnd, careplan.NoTime), 1, careplan.ColEnd, careplan.RuleBothTimes},
		{"a count of 0", with(careplan.ColCount, "0"), 1, careplan.ColCount, careplan.RuleCount},
		{"30日超区分 2", with(careplan.ColOver30, "2"), 1, careplan.ColOver30, careplan.RuleFlag},
		{"日割対象日 of 30", with(careplan.ColProrate, strings.Repeat("1", 30)), 1, careplan.ColProrate, careplan.RuleProrate},
		{"単位数 longer than its 6", with(careplan.ColUnits, "1234567"), 1, careplan.ColUnits, careplan.RuleLength},
		{"日割対象日 not 0/1", with(careplan.ColProrate, strings.Repeat("2", 31)), 1, careplan.ColProrate, careplan.RuleProrate},
		{"単位数 not an integer", with(careplan.ColUnits, "8.5"), 1, careplan.ColUnits, careplan.RuleInteger},
		{"a version that is no month", with(careplan.ColVersion, "202413"), 1, careplan.ColVersion, careplan.RuleVersion},
		{"no rows", []byte("\r\n"), 0, 0, careplan.RuleEmptyFile},
	} {
		t.Run(c.name, func(t *testing.T) {
			name, file := planName, c.file
			if file == nil { // November has 30 days
				name = strings.Replace(planName, "202612", "202611", 1)
				r := line("202611", "31")
				file = sjis(t, r)
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
	for _, bad := range []string{"plan.csv", "UPPLAN_202612_1370000001_43_1360000002_20261125093000.CSV", "UPPLAN_202612_1370000001_43_1360000002_1_20261125093000.CSV"} {
		if _, _, err := careplan.Read(bad, sjis(t, good)); err == nil {
			t.Errorf("a file not named by the standard was accepted: %s", bad)
		}
	}
}

func TestWriteReadsBack(t *testing.T) {
	_, rows, err := careplan.Read(planName, sjis(t, line("202612", "02"), line("202612", "09")))
	if err != nil {
		t.Fatal(err)
	}
	rows[0].ProviderName = `ひまわり "訪看", 本所`
	var b bytes.Buffer
	if err := careplan.Write(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) || bytes.Contains(b.Bytes(), []byte("ひまわり")) {
		t.Errorf("not MS932 with CRLF: %q", b.String())
	}
	name := careplan.Name{Prefix: careplan.PrefixActual, Month: rows[0].DateMonth(), From: "1360000002", FromKind: "13", To: "1370000001", ToKind: "43", Stamp: "20270101090000"}
	if name.String() != "UPJSK_202612_1360000002_13_1370000001_43_20270101090000.CSV" {
		t.Errorf("name %s", name)
	}
	back, got, err := careplan.Read(name.String(), b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if back.Prefix != careplan.PrefixActual || len(got) != 2 || got[1].Day() != 9 || got[0].ProviderName != rows[0].ProviderName || got[0].Code != "131211" {
		t.Errorf("read back %+v %+v", back, got)
	}
}
