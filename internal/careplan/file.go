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

// File prefixes (vol.1156: ファイル名規約 of 第6表 and 実績情報).
const (
	PrefixPlan   = "UPPLAN"
	PrefixActual = "UPJSK"
)

// Name is a file name of the standard:
// <prefix>_<対象年月 YYYYMM>_<送信元 事業所番号>_<送信先 事業所番号>_<YYYYMMDDHHMMSS>.CSV
type Name struct {
	Prefix string
	Month  time.Time // first day of the 対象年月
	From   string    // the sender's 介護保険事業所番号
	To     string    // the addressee's
	Stamp  string    // YYYYMMDDHHMMSS
}

var namePattern = regexp.MustCompile(`^(UPPLAN|UPJSK)_([0-9]{6})_([0-9]{10})_([0-9]{10})_([0-9]{14})\.(?i:csv)$`)

// ParseName reads a file name; an error names the rule it breaks.
func ParseName(s string) (Name, error) {
	m := namePattern.FindStringSubmatch(s)
	if m == nil {
		return Name{}, &Error{Rule: RuleFileName}
	}
	month, ok := ParseMonth(m[2])
	if !ok {
		return Name{}, &Error{Rule: RuleMonth, Name: "対象年月"}
	}
	if _, err := time.Parse("20060102150405", m[5]); err != nil {
		return Name{}, &Error{Rule: RuleFileName}
	}
	return Name{Prefix: m[1], Month: month, From: m[3], To: m[4], Stamp: m[5]}, nil
}

func (n Name) String() string {
	return fmt.Sprintf("%s_%s_%s_%s_%s.CSV", n.Prefix, n.Month.Format("200601"), n.From, n.To, n.Stamp)
}

// Row is one row of a 第6表 file: one service at one time slot, with the
// days of the month it is planned (予定) or was given (実績).
type Row struct {
	Line           int // 1-based row of the file
	Version        string
	InsurerNumber  string
	InsuredNumber  string
	Month          string // YYYYMM
	CreatedOn      string // YYYYMMDD
	PlannerOffice  string // 居宅介護支援事業所番号
	ProviderOffice string
	ServiceType    string // サービス種類コード, e.g. 13 訪問看護
	ServiceItem    string // サービス項目コード
	Service        string // サービス内容 (its name)
	Start, End     string // HHMM
	Kind           string // KindPlan or KindActual
	Days           [31]bool
	Total          int
}

// Error is a file that breaks the standard: the row (1-based, 0 for the
// file as a whole) and column (1-based, 0 for the whole row) and the rule.
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

// MaxRows bounds a file: a provider's month for every user of a care
// manager's office is a few hundred rows.
const MaxRows = 5000

// Read decodes a 第6表 file (Shift-JIS, MS932) named name and checks every
// row against Columns. The first broken rule is returned as *Error; a file
// is taken whole or not at all.
func Read(name string, data []byte) (Name, []Row, error) {
	n, err := ParseName(name)
	if err != nil {
		return n, nil, err
	}
	lines := splitLines(data)
	if len(lines) > MaxRows+1 {
		return n, nil, &Error{Rule: RuleTooManyRow}
	}
	wantKind := KindPlan
	if n.Prefix == PrefixActual {
		wantKind = KindActual
	}
	var rows []Row
	for i, raw := range lines {
		line := i + 1
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		text, bad := decodeLine(raw)
		if bad {
			return n, nil, &Error{Row: line, Column: columnOfBadBytes(raw), Name: nameOf(columnOfBadBytes(raw)), Rule: RuleEncoding}
		}
		r := csv.NewReader(strings.NewReader(text))
		r.FieldsPerRecord = -1
		fields, err := r.Read()
		if err != nil {
			return n, nil, &Error{Row: line, Rule: RuleColumns}
		}
		if i == 0 && len(fields) > 0 && fields[0] == Columns[0].Name {
			continue // a header row of column names
		}
		if len(fields) != len(Columns) {
			return n, nil, &Error{Row: line, Rule: RuleColumns}
		}
		for c, col := range Columns {
			if rule := col.check(strings.TrimSpace(fields[c]), n.Month); rule != "" {
				return n, nil, &Error{Row: line, Column: col.No, Name: col.Name, Rule: rule}
			}
		}
		row := rowOf(line, fields)
		if row.Kind != wantKind {
			return n, nil, &Error{Row: line, Column: ColKind, Name: nameOf(ColKind), Rule: RuleRowKind}
		}
		if row.End <= row.Start {
			return n, nil, &Error{Row: line, Column: ColEnd, Name: nameOf(ColEnd), Rule: RuleEnd}
		}
		sum := 0
		for _, d := range row.Days {
			if d {
				sum++
			}
		}
		if sum != row.Total {
			return n, nil, &Error{Row: line, Column: ColTotal, Name: nameOf(ColTotal), Rule: RuleTotal}
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
	r := Row{Line: line, Version: v(ColVersion), InsurerNumber: v(ColInsurer), InsuredNumber: v(ColInsured), Month: v(ColMonth),
		CreatedOn: v(ColCreated), PlannerOffice: v(ColPlanner), ProviderOffice: v(ColProvider), ServiceType: v(ColType),
		ServiceItem: v(ColItem), Service: v(ColService), Start: v(ColStart), End: v(ColEnd), Kind: v(ColKind)}
	for d := 0; d < 31; d++ {
		r.Days[d] = v(ColDay1+d) == "1"
	}
	r.Total, _ = strconv.Atoi(v(ColTotal))
	return r
}

// splitLines splits on LF, dropping a CR before it (the standard's files
// come from Windows software). A quoted field never holds a line break in
// this file's columns.
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

// Write writes rows as a 第6表 file in MS932 with CRLF line ends. A
// character MS932 lacks becomes "?" (the standard asks for a valid
// character in its place; no 外字).
func Write(w io.Writer, rows []Row) error {
	enc := transform.NewWriter(w, encoding.ReplaceUnsupported(japanese.ShiftJIS.NewEncoder()))
	cw := csv.NewWriter(enc)
	cw.UseCRLF = true
	for _, r := range rows {
		rec := make([]string, len(Columns))
		set := func(c int, v string) { rec[c-1] = v }
		set(ColVersion, r.Version)
		set(ColInsurer, r.InsurerNumber)
		set(ColInsured, r.InsuredNumber)
		set(ColMonth, r.Month)
		set(ColCreated, r.CreatedOn)
		set(ColPlanner, r.PlannerOffice)
		set(ColProvider, r.ProviderOffice)
		set(ColType, r.ServiceType)
		set(ColItem, r.ServiceItem)
		set(ColService, r.Service)
		set(ColStart, r.Start)
		set(ColEnd, r.End)
		set(ColKind, r.Kind)
		total := 0
		for d, on := range r.Days {
			if on {
				set(ColDay1+d, "1")
				total++
			}
		}
		set(ColTotal, strconv.Itoa(total))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return enc.Close()
}

// AsError returns the *Error in err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
