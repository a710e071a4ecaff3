package careplan

import (
	"strconv"
	"time"
)

// Where a column's definition comes from: the standard's text as found
// (介護保険最新情報 vol.1156, 2023-06-15), or assumed from the paper form
// (第6表 サービス利用票: 提供時間帯, サービス内容, サービス事業者, 日付 1–31,
// 合計回数) and the layout of the standard's other files. docs/ARCHITECTURE.md
// ("Care-plan data") lists which is which; a correction is made here, in
// Columns, and nowhere else.
const (
	Confirmed = "confirmed"
	Assumed   = "assumed"
)

// Column is one column of the 第6表 file (the same layout for 予定 and 実績).
type Column struct {
	No     int    // 1-based position
	Name   string // the standard's Japanese name (日本語名称)
	Source string // Confirmed or Assumed
	// check returns "" when the value holds, else the rule it breaks. It
	// sees the row read so far (earlier columns) and the file's month.
	check func(v string, month time.Time) string
}

// Rules of the columns, as errors name them (the app translates them).
const (
	RuleRequired   = "is required"
	RuleVersion    = "must be 1 to 10 letters or digits"
	RuleMonth      = "must be a month YYYYMM that exists"
	RuleFileMonth  = "must be the month of the file name"
	RuleDate       = "must be a date YYYYMMDD that exists"
	RuleType       = "must be a service type code of 2 letters or digits"
	RuleItem       = "must be a service item code of 4 letters or digits"
	RuleText       = "must be at most 100 characters"
	RuleTime       = "must be a time HHMM (0000 to 2400)"
	RuleKind       = "must be 1 (予定) or 2 (実績)"
	RuleDay        = "must be empty, 0 or 1 (one visit per day and time slot)"
	RuleNoSuchDay  = "is a day the month does not have"
	RuleTotal      = "must be the sum of the day columns"
	RuleEnd        = "must be after the start"
	RuleColumns    = "a row must have exactly 45 columns"
	RuleEncoding   = "must be Shift-JIS (MS932) text; this is not (UTF-8, or bytes Shift-JIS does not have)"
	RuleFileName   = "must be named UPPLAN_YYYYMM_<sender office number, 10 digits>_<addressee office number, 10 digits>_<YYYYMMDDHHMMSS>.CSV"
	RuleFileKind   = "must be a 予定 file (UPPLAN_…)"
	RuleRowKind    = "must match the file: 1 (予定) in UPPLAN, 2 (実績) in UPJSK"
	RuleEmptyFile  = "must hold at least one row"
	RuleTooManyRow = "must hold at most 5000 rows"
)

// Column numbers the code reads by name.
const (
	ColVersion = iota + 1
	ColInsurer
	ColInsured
	ColMonth
	ColCreated
	ColPlanner
	ColProvider
	ColType
	ColItem
	ColService
	ColStart
	ColEnd
	ColKind
	ColDay1 // 1日; day d is ColDay1+d-1
)

// ColTotal is 合計回数, after the 31 day columns.
const ColTotal = ColDay1 + 31

func required(rule func(string, time.Time) string) func(string, time.Time) string {
	return func(v string, m time.Time) string {
		if v == "" {
			return RuleRequired
		}
		return rule(v, m)
	}
}

func alnum(v string, min, max int) bool {
	if len(v) < min || len(v) > max {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

func ruleIf(ok bool, rule string) string {
	if ok {
		return ""
	}
	return rule
}

// Columns is the 第6表 file, column by column: the one table to correct
// when the standard's full 項目定義 is at hand.
var Columns = func() []Column {
	cs := []Column{
		{ColVersion, "CSVバージョン", Confirmed, required(func(v string, _ time.Time) string { return ruleIf(alnum(v, 1, 10), RuleVersion) })},
		{ColInsurer, "保険者番号", Assumed, required(func(v string, _ time.Time) string { return ruleIf(ValidInsurerNumber(v) == nil, RuleInsurerNumber) })},
		{ColInsured, "被保険者番号", Assumed, required(func(v string, _ time.Time) string { return ruleIf(ValidInsuredNumber(v) == nil, RuleInsuredNumber) })},
		{ColMonth, "対象年月", Assumed, required(func(v string, m time.Time) string {
			t, ok := ParseMonth(v)
			if !ok {
				return RuleMonth
			}
			return ruleIf(t.Equal(m), RuleFileMonth)
		})},
		{ColCreated, "作成年月日", Assumed, required(func(v string, _ time.Time) string {
			_, err := time.Parse("20060102", v)
			return ruleIf(len(v) == 8 && err == nil, RuleDate)
		})},
		{ColPlanner, "居宅介護支援事業所番号", Assumed, required(func(v string, _ time.Time) string { return ruleIf(ValidOfficeNumber(v) == nil, RuleOfficeNumber) })},
		{ColProvider, "サービス事業所番号", Assumed, required(func(v string, _ time.Time) string { return ruleIf(ValidOfficeNumber(v) == nil, RuleOfficeNumber) })},
		{ColType, "サービス種類コード", Assumed, required(func(v string, _ time.Time) string { return ruleIf(alnum(v, 2, 2), RuleType) })},
		{ColItem, "サービス項目コード", Assumed, required(func(v string, _ time.Time) string { return ruleIf(alnum(v, 4, 4), RuleItem) })},
		{ColService, "サービス内容", Assumed, func(v string, _ time.Time) string { return ruleIf(len([]rune(v)) <= 100, RuleText) }},
		{ColStart, "提供開始時刻", Assumed, required(func(v string, _ time.Time) string { return ruleIf(validClock(v), RuleTime) })},
		{ColEnd, "提供終了時刻", Assumed, required(func(v string, _ time.Time) string { return ruleIf(validClock(v), RuleTime) })},
		{ColKind, "予定実績区分", Assumed, required(func(v string, _ time.Time) string { return ruleIf(v == KindPlan || v == KindActual, RuleKind) })},
	}
	for d := 1; d <= 31; d++ {
		day := d
		cs = append(cs, Column{ColDay1 + d - 1, strconv.Itoa(d) + "日", Assumed, func(v string, m time.Time) string {
			if v != "" && v != "0" && v != "1" {
				return RuleDay
			}
			if v == "1" && day > daysIn(m) {
				return RuleNoSuchDay
			}
			return ""
		}})
	}
	cs = append(cs, Column{ColTotal, "合計回数", Assumed, required(func(v string, _ time.Time) string {
		n, err := strconv.Atoi(v)
		return ruleIf(err == nil && n >= 0 && n <= 31 && len(v) <= 2, RuleTotal)
	})})
	return cs
}()

// Values of 予定実績区分.
const (
	KindPlan   = "1"
	KindActual = "2"
)

// CSVVersion is what this implementation writes in column 1. The standard
// names the column; the value here is assumed (the revision's date).
const CSVVersion = "202306"

func validClock(v string) bool {
	if len(v) != 4 {
		return false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return false
	}
	h, m := n/100, n%100
	return v[0] >= '0' && v[0] <= '9' && (h < 24 && m < 60 || h == 24 && m == 0)
}

func daysIn(month time.Time) int {
	if month.IsZero() {
		return 31
	}
	return month.AddDate(0, 1, -1).Day()
}

// ParseMonth reads YYYYMM as the first day of that month (UTC); ok is
// false for anything else, month 13 or 00 included.
func ParseMonth(v string) (time.Time, bool) {
	if len(v) != 6 {
		return time.Time{}, false
	}
	t, err := time.Parse("200601", v)
	if err != nil || t.Year() < 2000 {
		return time.Time{}, false
	}
	return t, true
}
