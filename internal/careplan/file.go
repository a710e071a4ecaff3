package careplan

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

// File prefixes (ファイル名規約 of 「第6表（サービス利用票）、実績情報」).
const (
	PrefixPlan   = "UPPLAN"
	PrefixActual = "UPJSK"
)

// Name is a file name of the standard. 4.x (ファイル名規約, 4.1):
// <prefix>_<対象年月 YYYYMM>_<送信元 事業所番号 10>_<送信元 サービス種類コード 2>_
// <送信先 事業所番号 10>_<送信先 サービス種類コード 2>_<YYYYMMDDHHMMSS>.CSV;
// 3.x (vol.1156 p.19) had no サービス種類コード: FromKind and ToKind are
// then empty.
type Name struct {
	Prefix   string
	Month    time.Time // first day of the 対象年月
	From     string    // the sender's 介護保険事業所番号
	FromKind string    // the sender's サービス種類コード (43 居宅介護支援, 13 訪問看護…)
	To       string    // the addressee's
	ToKind   string
	Stamp    string // YYYYMMDDHHMMSS
}

var (
	namePattern4 = regexp.MustCompile(`^(UPPLAN|UPJSK)_([0-9]{6})_([0-9]{10})_([0-9A-Z]{2})_([0-9]{10})_([0-9A-Z]{2})_([0-9]{14})\.(?i:csv)$`)
	namePattern3 = regexp.MustCompile(`^(UPPLAN|UPJSK)_([0-9]{6})_([0-9]{10})_([0-9]{10})_([0-9]{14})\.(?i:csv)$`)
)

// ParseName reads a file name; an error names the rule it breaks.
func ParseName(s string) (Name, error) {
	var n Name
	var month string
	if m := namePattern4.FindStringSubmatch(s); m != nil {
		month, n = m[2], Name{Prefix: m[1], From: m[3], FromKind: m[4], To: m[5], ToKind: m[6], Stamp: m[7]}
	} else if m := namePattern3.FindStringSubmatch(s); m != nil {
		month, n = m[2], Name{Prefix: m[1], From: m[3], To: m[4], Stamp: m[5]}
	} else {
		return Name{}, &Error{Rule: RuleFileName}
	}
	var ok bool
	if n.Month, ok = ParseMonth(month); !ok {
		return Name{}, &Error{Rule: RuleMonth, Name: "対象年月"}
	}
	if _, err := time.Parse("20060102150405", n.Stamp); err != nil {
		return Name{}, &Error{Rule: RuleFileName}
	}
	return n, nil
}

func (n Name) String() string {
	if n.FromKind == "" && n.ToKind == "" {
		return fmt.Sprintf("%s_%s_%s_%s_%s.CSV", n.Prefix, n.Month.Format("200601"), n.From, n.To, n.Stamp)
	}
	return fmt.Sprintf("%s_%s_%s_%s_%s_%s_%s.CSV", n.Prefix, n.Month.Format("200601"), n.From, n.FromKind, n.To, n.ToKind, n.Stamp)
}

// Row is one row of a 第6表 file: one service code on one day
// (サービス利用日), No. 1–25 of the standard in order.
type Row struct {
	Line           int // the file's line the row starts on (1-based)
	Version        string
	InsurerNumber  string
	InsuredNumber  string
	CreatedOn      string // 作成年月日 YYYYMMDD
	Month          string // 対象年月 YYYYMM
	PlannerOffice  string // プラン担当業者コード: the care manager's office
	PlannerName    string // プラン担当者名
	Units          string // 単位数 (integer, may be empty)
	ShortStayDays  string // 前月までの短期入所利用日数
	Date           string // サービス利用日 YYYYMMDD
	Prorate        string // 日割対象日: 31 of 0/1, or empty
	Start, End     string // HHMM, or NoTime
	Count          int    // サービス回数
	Code           string // サービスコード: 種類 2 + 項目 4
	TAIS           string
	Todokede       string // 福祉用具届出コード
	Equipment      string // 用具名称（機種名）
	Detail         string // 明細判別コード
	ProviderOffice string // サービス事業者コード
	ProviderName   string // サービス事業所名
	Satellite      string // サテライト枝番
	Over30         string // ３０日超区分: 1 or 0
	Updater        string // 更新業者コード
	Ident          string // 識別子 (not used)
}

// ServiceType is the サービス種類コード of the row's service code (13 訪問看護…).
func (r Row) ServiceType() string { return r.Code[:2] }

// ServiceItem is the サービス項目コード of the row's service code.
func (r Row) ServiceItem() string { return r.Code[2:] }

// Day is the day of the month of the サービス利用日.
func (r Row) Day() int { d, _ := strconv.Atoi(r.Date[6:]); return d }

// DateMonth is the first day of the サービス利用日's month.
func (r Row) DateMonth() time.Time { t, _ := ParseMonth(r.Date[:6]); return t }

// Timed is false for a service without times (開始・終了 9999).
func (r Row) Timed() bool { return r.Start != NoTime }

// Error is a file that breaks the standard: the row (1-based line, 0 for
// the file as a whole) and column (No., 0 for the whole row) and the rule.
type Error struct {
	Row, Column int
	Name        string // the column's Japanese name
	Rule        string
}

func (e *Error) Error() string {
	switch {
	case e.Row == 0 && e.Name != "":
		return fmt.Sprintf("file name (%s): %s", e.Name, e.Rule)
	case e.Row == 0:
		return "file: " + e.Rule
	case e.Column == 0:
		return fmt.Sprintf("row %d: %s", e.Row, e.Rule)
	}
	return fmt.Sprintf("row %d, column %d (%s): %s", e.Row, e.Column, e.Name, e.Rule)
}

// MaxRows bounds a file: a row is one service on one day, so a month of a
// care manager's office's users is some thousands.
const MaxRows = 20000

// Read decodes a 第6表 file (Shift-JIS, MS932) named name and checks every
// row against Columns. The first broken rule is returned as *Error; a file
// is taken whole or not at all. Free text may be quoted and hold commas and
// line breaks (「フリーテキストは""で囲い、改行、半角カンマは削除しない」).
func Read(name string, data []byte) (Name, []Row, error) {
	n, err := ParseName(name)
	if err != nil {
		return n, nil, err
	}
	text, bad := decodeFile(data)
	if bad != nil {
		return n, nil, bad
	}
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true // a stray " inside an unquoted field is text
	var rows []Row
	for i := 0; ; i++ {
		fields, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return n, nil, &Error{Row: line, Rule: RuleColumns}
		}
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue
		}
		if i == 0 && fields[0] == Columns[0].Name {
			continue // a header row of column names
		}
		if len(rows) == MaxRows {
			return n, nil, &Error{Rule: RuleTooManyRow}
		}
		if len(fields) != len(Columns) {
			return n, nil, &Error{Row: line, Rule: RuleColumns}
		}
		for c, col := range Columns {
			if rule := col.checkValue(strings.TrimSpace(fields[c]), n.Month); rule != "" {
				return n, nil, &Error{Row: line, Column: col.No, Name: col.Name, Rule: rule}
			}
		}
		row := rowOf(line, fields)
		if row.Timed() != (row.End != NoTime) {
			return n, nil, &Error{Row: line, Column: ColEnd, Name: nameOf(ColEnd), Rule: RuleBothTimes}
		}
		if row.Timed() && row.End <= row.Start {
			return n, nil, &Error{Row: line, Column: ColEnd, Name: nameOf(ColEnd), Rule: RuleEnd}
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return n, nil, &Error{Rule: RuleEmptyFile}
	}
	return n, rows, nil
}

func nameOf(col int) string {
	if col < 1 || col > len(Columns) {
		return ""
	}
	return Columns[col-1].Name
}

func rowOf(line int, f []string) Row {
	v := func(c int) string { return strings.TrimSpace(f[c-1]) }
	count, _ := strconv.Atoi(v(ColCount))
	return Row{Line: line, Version: v(ColVersion), InsurerNumber: v(ColInsurer), InsuredNumber: v(ColInsured), CreatedOn: v(ColCreated),
		Month: v(ColMonth), PlannerOffice: v(ColPlanner), PlannerName: v(ColPlannerName), Units: v(ColUnits), ShortStayDays: v(ColShortStayDays),
		Date: v(ColDate), Prorate: v(ColProrate), Start: v(ColStart), End: v(ColEnd), Count: count, Code: v(ColCode), TAIS: v(ColTAIS),
		Todokede: v(ColTodokede), Equipment: v(ColEquipment), Detail: v(ColDetail), ProviderOffice: v(ColProvider),
		ProviderName: v(ColProviderName), Satellite: v(ColSatellite), Over30: v(ColOver30), Updater: v(ColUpdater), Ident: v(ColIdent)}
}

// decodeFile decodes the whole file from MS932; a file that is not MS932
// text is an *Error naming the first line (and column) that is not.
func decodeFile(data []byte) (string, *Error) {
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		return "", &Error{Row: 1, Column: 1, Name: nameOf(1), Rule: RuleEncoding}
	}
	for i, raw := range splitLines(data) {
		if _, bad := decodeLine(raw); bad {
			c := columnOfBadBytes(raw)
			return "", &Error{Row: i + 1, Column: c, Name: nameOf(c), Rule: RuleEncoding}
		}
	}
	out, _, err := transform.Bytes(japanese.ShiftJIS.NewDecoder(), data)
	if err != nil {
		return "", &Error{Rule: RuleEncoding}
	}
	return string(out), nil
}

// splitLines splits on LF, dropping a CR before it (the standard's files
// come from Windows software), to find the line a byte is on.
func splitLines(data []byte) [][]byte {
	lines := bytes.Split(data, []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte("\r"))
	}
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	return lines
}

// decodeLine decodes one line from MS932. bad is true when the bytes are
// not MS932 text: bytes it has no character for, or a line that is valid
// UTF-8 with non-ASCII characters (UTF-8 Japanese often also decodes as
// Shift-JIS, into nonsense, so the decoder alone would not notice).
func decodeLine(raw []byte) (string, bool) {
	if bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) {
		return "", true
	}
	ascii := true
	for _, b := range raw {
		if b >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(raw), false
	}
	if utf8.Valid(raw) {
		return "", true
	}
	out, _, err := transform.Bytes(japanese.ShiftJIS.NewDecoder(), raw)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return "", true
	}
	return string(out), false
}

// columnOfBadBytes is the column (1-based) of the first non-ASCII byte of
// a line, by counting the commas before it.
func columnOfBadBytes(raw []byte) int {
	col := 1
	for _, b := range raw {
		if b >= 0x80 {
			return col
		}
		if b == ',' {
			col++
		}
	}
	return 0
}

// Write writes rows as a 第6表 file in MS932 with CRLF line ends, free
// text quoted (the standard's 「フリーテキストは""（半角）で囲い」). A character
// MS932 lacks becomes "?" (the standard asks for a valid character in its
// place; no 外字).
func Write(w io.Writer, rows []Row) error {
	enc := transform.NewWriter(w, encoding.ReplaceUnsupported(japanese.ShiftJIS.NewEncoder()))
	for _, r := range rows {
		rec := []string{r.Version, r.InsurerNumber, r.InsuredNumber, r.CreatedOn, r.Month, r.PlannerOffice, quote(r.PlannerName), r.Units,
			r.ShortStayDays, r.Date, r.Prorate, r.Start, r.End, strconv.Itoa(r.Count), r.Code, r.TAIS, r.Todokede, quote(r.Equipment),
			r.Detail, r.ProviderOffice, quote(r.ProviderName), r.Satellite, r.Over30, r.Updater, r.Ident}
		if _, err := io.WriteString(enc, strings.Join(rec, ",")+"\r\n"); err != nil {
			return err
		}
	}
	return enc.Close()
}

// quote is a free-text field: in double quotes, a quote doubled; empty
// stays empty.
func quote(s string) string {
	if s == "" {
		return ""
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// AsError returns the *Error in err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
