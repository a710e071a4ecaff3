package careplan

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Where the column table comes from. Every column below is the standard's
// own definition: the 別紙「CSVファイルレイアウト定義書」 of ケアプランデータ連携
// 標準仕様 4.1 (厚生労働省老健局, 令和6年10月), file 「第6表（サービス利用票）、
// 実績情報」, No. 1–25 with 項目長, 必須 and 書式 — read as text in the public
// repository kt-group1165/honobono_caremanager, migrations/
// _if_careplan_v4_layout.txt (the 別紙 as extracted from the PDF; the
// 第6表 part is its lines 335–484 by the repository's own note), with the
// body of the standard beside it
// in migrations/_if_careplan_v4_spec.txt (更新履歴, 2.3, 2.6, 4.2, 4.3).
// The 予定 (UPPLAN) and 実績 (UPJSK) files are this one layout (「実績情報
// ※第6表（サービス利用票）と同フォーマット」, spec 2.3): one row per
// service, per day it is used (サービス利用日), per service code.
//
// Version 3.2 of the standard (介護保険最新情報 vol.1156, 令和5年6月) had,
// by the 更新履歴, this layout less the three 福祉用具 columns No. 16–18,
// which 4.0 added (更新履歴 4.0: 「第6表、第7表に「TAISコード」「福祉用具届出コード」
// 「用具名称」を追加」); its file names had no service type codes (vol.1156
// p.19). Where 3.2 placed its columns is not in the text found, so a row
// must have the 25 columns of 4.x; a 3.x name is still read.
const Confirmed = "confirmed"

// Source is cited once for every column (Column.Source).
const Source = "ケアプランデータ連携標準仕様 4.1 別紙 CSVファイルレイアウト定義書「第6表（サービス利用票）、実績情報」"

// Column is one column of the 第6表 file (予定 and 実績 alike).
type Column struct {
	No       int    // 1-based position (No.)
	Name     string // 日本語名称
	Length   int    // 項目長; 0 for ― (free text)
	Required bool   // 必須 ○
	Source   string // Confirmed: the column is the standard's
	// check returns "" when the value holds, else the rule it breaks. It
	// sees the file's month. An empty value of a column that is not
	// required holds.
	check func(v string, month time.Time) string
}

// Rules of the columns, as errors name them (the app translates them).
const (
	RuleRequired   = "is required"
	RuleVersion    = "must be a version YYYYMM"
	RuleMonth      = "must be a month YYYYMM that exists"
	RuleFileMonth  = "must be the month of the file name"
	RuleDate       = "must be a date YYYYMMDD that exists"
	RuleUseDay     = "must be a day of the file's month"
	RuleCode       = "must be a service code of 6 letters or digits (サービス種類コード 2 + サービス項目コード 4)"
	RuleLength     = "is longer than the standard's 項目長"
	RuleInteger    = "must be an integer"
	RuleDigits     = "must be digits"
	RuleTime       = "must be a time HHMM (0000 to 2400), or 9999 for a service without times"
	RuleBothTimes  = "must be 9999 when the start is, and a time when the start is one"
	RuleProrate    = "must be 31 characters 0 or 1 (the days that may be billed pro rata)"
	RuleFlag       = "must be 1 (該当) or 0 (非該当)"
	RuleCount      = "must be a count of 1 to 99"
	RuleEnd        = "must be after the start"
	RuleColumns    = "a row must have exactly 25 columns (標準仕様 4.x)"
	RuleEncoding   = "must be Shift-JIS (MS932) text; this is not (UTF-8, or bytes Shift-JIS does not have)"
	RuleFileName   = "must be named UPPLAN_YYYYMM_<sender office number, 10 digits>_<sender service type, 2>_<addressee office number, 10 digits>_<addressee service type, 2>_<YYYYMMDDHHMMSS>.CSV"
	RuleFileKind   = "must be a 予定 file (UPPLAN_…)"
	RuleEmptyFile  = "must hold at least one row"
	RuleTooManyRow = "must hold at most 20000 rows"
)

// Column numbers (No.) of the standard.
const (
	ColVersion       = iota + 1 // CSVバージョン
	ColInsurer                  // 保険者番号
	ColInsured                  // 被保険者番号
	ColCreated                  // 作成年月日
	ColMonth                    // 対象年月
	ColPlanner                  // プラン担当業者コード
	ColPlannerName              // プラン担当者名
	ColUnits                    // 単位数
	ColShortStayDays            // 前月までの短期入所利用日数
	ColDate                     // サービス利用日
	ColProrate                  // 日割対象日
	ColStart                    // サービス開始時刻
	ColEnd                      // サービス終了時刻
	ColCount                    // サービス回数
	ColCode                     // サービスコード
	ColTAIS                     // TAISコード
	ColTodokede                 // 福祉用具届出コード
	ColEquipment                // 用具名称（機種名）
	ColDetail                   // 明細判別コード
	ColProvider                 // サービス事業者コード
	ColProviderName             // サービス事業所名
	ColSatellite                // サテライト枝番
	ColOver30                   // ３０日超区分
	ColUpdater                  // 更新業者コード
	ColIdent                    // 識別子
)

// NoTime is the サービス開始時刻 and 終了時刻 of a service without times
// (「時間表示の無いサービス：9999」).
const NoTime = "9999"

// CSVVersion is what this implementation writes in column 1: the 版数 of
// 4.1 (更新履歴 4.1: 「版数を4.0版発出月に変更」, 202407).
const CSVVersion = "202407"

func alnum(v string, n int) bool {
	if len(v) != n {
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

func allDigits(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
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

func yyyymm(v string, _ time.Time) string {
	_, ok := ParseMonth(v)
	return ruleIf(ok, RuleMonth)
}

func yyyymmdd(v string, _ time.Time) string {
	_, err := time.Parse("20060102", v)
	return ruleIf(len(v) == 8 && err == nil, RuleDate)
}

func office(v string, _ time.Time) string {
	return ruleIf(ValidOfficeNumber(v) == nil, RuleOfficeNumber)
}

func digitsRule(v string, _ time.Time) string { return ruleIf(allDigits(v), RuleDigits) }

func freeText(string, time.Time) string { return "" }

func clock(v string, _ time.Time) string { return ruleIf(v == NoTime || validClock(v), RuleTime) }

// Columns is the 第6表 file, column by column, as the standard defines it
// (項目長, 必須, 書式 of each No.).
var Columns = []Column{
	{ColVersion, "CSVバージョン", 6, true, Confirmed, func(v string, m time.Time) string {
		// 「YYYYMM 本仕様が制度改正などに伴い改版された際にバージョン年月を更新する」
		return ruleIf(len(v) == 6 && allDigits(v) && v[4:] >= "01" && v[4:] <= "12", RuleVersion)
	}},
	{ColInsurer, "保険者番号", 6, true, Confirmed, func(v string, _ time.Time) string {
		return ruleIf(ValidInsurerNumber(v) == nil, RuleInsurerNumber)
	}},
	// 「被保険者番号 生保単独の場合は 先頭H＋数字9桁」
	{ColInsured, "被保険者番号", 10, true, Confirmed, func(v string, _ time.Time) string {
		return ruleIf(ValidInsuredNumber(v) == nil, RuleInsuredNumber)
	}},
	{ColCreated, "作成年月日", 8, true, Confirmed, yyyymmdd},
	{ColMonth, "対象年月", 6, true, Confirmed, func(v string, m time.Time) string {
		t, ok := ParseMonth(v)
		if !ok {
			return RuleMonth
		}
		return ruleIf(m.IsZero() || t.Equal(m), RuleFileMonth)
	}},
	// 「居宅支援事業者番号」
	{ColPlanner, "プラン担当業者コード", 10, false, Confirmed, office},
	{ColPlannerName, "プラン担当者名", 0, false, Confirmed, freeText},
	// 「整数 サービスの単位数 … 割引後単位数を記載」; 共生型の減算は負の単位数.
	{ColUnits, "単位数", 6, false, Confirmed, func(v string, _ time.Time) string {
		return ruleIf(allDigits(strings.TrimPrefix(v, "-")), RuleInteger)
	}},
	{ColShortStayDays, "前月までの短期入所利用日数", 5, false, Confirmed, digitsRule},
	// 「YYYYMMDD ※包括請求サービスの場合は実際のサービス利用予定日、実績日に設定する」
	{ColDate, "サービス利用日", 8, true, Confirmed, func(v string, m time.Time) string {
		t, err := time.Parse("20060102", v)
		if len(v) != 8 || err != nil {
			return RuleDate
		}
		return ruleIf(m.IsZero() || t.Year() == m.Year() && t.Month() == m.Month(), RuleUseDay)
	}},
	// 「日割対象日は31桁で日割請求可能日については"1"を設定する … ※日割り以外はNull（空）」
	{ColProrate, "日割対象日", 31, false, Confirmed, func(v string, _ time.Time) string {
		return ruleIf(len(v) == 31 && strings.Trim(v, "01") == "", RuleProrate)
	}},
	// 「時間表示有りのサービス：HHMM 時間表示の無いサービス：9999」
	{ColStart, "サービス開始時刻", 4, true, Confirmed, clock},
	{ColEnd, "サービス終了時刻", 4, true, Confirmed, clock},
	// 「1日に複数回算定可能なサービスの回数」
	{ColCount, "サービス回数", 2, true, Confirmed, func(v string, _ time.Time) string {
		n, err := strconv.Atoi(v)
		return ruleIf(allDigits(v) && err == nil && n >= 1, RuleCount)
	}},
	// 「最新版の介護給付費単位数等サービスコード表のサービスコードを参照」
	{ColCode, "サービスコード", 6, true, Confirmed, func(v string, _ time.Time) string { return ruleIf(alnum(v, 6), RuleCode) }},
	{ColTAIS, "TAISコード", 12, false, Confirmed, freeText},
	{ColTodokede, "福祉用具届出コード", 12, false, Confirmed, freeText},
	{ColEquipment, "用具名称（機種名）", 0, false, Confirmed, freeText},
	{ColDetail, "明細判別コード", 2, false, Confirmed, digitsRule},
	// 「居宅支援事業者からの送信ファイルの場合は予定の事業者コードを、介護サービス
	// 事業所からの送信ファイルの場合は実績の事業者コードを記載」
	{ColProvider, "サービス事業者コード", 10, true, Confirmed, office},
	{ColProviderName, "サービス事業所名", 0, false, Confirmed, freeText},
	{ColSatellite, "サテライト枝番", 2, false, Confirmed, digitsRule},
	{ColOver30, "３０日超区分", 1, true, Confirmed, func(v string, _ time.Time) string { return ruleIf(v == "0" || v == "1", RuleFlag) }},
	// 「予定の場合は居宅介護支援事業者番号、実績の場合はサービス事業者番号」
	{ColUpdater, "更新業者コード", 10, false, Confirmed, office},
	// 「※使用しない」
	{ColIdent, "識別子", 1, false, Confirmed, freeText},
}

// checkValue applies a column's definition to a value (trimmed): 必須, the
// 項目長 (characters; free text has none) and the 書式.
func (c Column) checkValue(v string, month time.Time) string {
	if v == "" {
		return ruleIf(!c.Required, RuleRequired)
	}
	if c.Length > 0 && utf8.RuneCountInString(v) > c.Length {
		return RuleLength
	}
	return c.check(v, month)
}

func validClock(v string) bool {
	if len(v) != 4 || !allDigits(v) {
		return false
	}
	n, _ := strconv.Atoi(v)
	h, m := n/100, n%100
	return h < 24 && m < 60 || h == 24 && m == 0
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
