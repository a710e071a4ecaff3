package care

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Record search (記録の検索) finds Japanese substrings of two or more
// characters as typed: kana and kanji are not folded into each other, but
// full- and half-width forms are (NFKC: ｶﾀｶﾅ → カタカナ, ＡＢＣ → abc
// after lower-casing). Text is indexed as the bigrams of its runs of
// non-space characters; a query is one or more words separated by spaces,
// each at least two characters, all of which a record must contain.

// Search limits.
const (
	MinSearchWord   = 2   // characters of each word of a query
	MaxSearchWords  = 5   // words of a query
	MaxSearchLength = 100 // characters of a whole query
)

// AdherenceLabels and DocumentTypeLabels are the Japanese words the app
// shows for these codes; the search text holds the words, not the codes.
var (
	AdherenceLabels    = map[string]string{"good": "良好", "partial": "一部服薬", "poor": "不良", "unknown": "不明"}
	DocumentTypeLabels = map[string]string{"referral": "紹介状", "medical_info": "診療情報提供書", "prescription": "処方箋",
		"nursing_order": "訪問看護指示書", "consent": "同意書", "lab_result": "検査結果", "other": "その他"}
)

// SearchText is every text of the content that a search looks into, one
// field a line, normalised (NormalizeSearch): the general text, the care
// notes, each string field of the kind's fields (coded ones as their
// Japanese label), and each drug's name, dose and note. Attachment ids and
// vitals are not text.
func (c RecordContent) SearchText() string {
	f := c.Fields
	parts := []string{c.Text, c.CareNotes, c.NextVisitOn,
		f.Observations, f.CareGiven, f.Plan, f.Wound, f.Excretion, f.Intake,
		f.Note, f.Findings, f.Assessment, f.Instruction, f.InstructionValidUntil, f.PrescriptionChanges,
		AdherenceLabels[f.Adherence], f.Issues, f.SideEffects, f.ReportToDoctor,
		f.Coordination, f.PlanChange, f.ServiceChanges, f.Conference, f.ConferenceOn,
		f.Title, DocumentTypeLabels[f.DocumentType]}
	for _, d := range f.DrugsChecked {
		parts = append(parts, d.Name, d.Dose, d.Note)
	}
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p)
	}
	return NormalizeSearch(b.String())
}

// NormalizeSearch folds full- and half-width forms (NFKC) and letter case,
// so that text and queries compare as typed in either width.
func NormalizeSearch(s string) string {
	return strings.ToLower(norm.NFKC.String(strings.ToValidUTF8(s, "")))
}

// Bigrams lists the distinct pairs of adjacent characters of normalised
// text s, within its runs of non-space characters, in order of first
// appearance.
func Bigrams(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range strings.FieldsFunc(s, unicode.IsSpace) {
		prev := -1
		for i := range w {
			if prev >= 0 {
				_, n := utf8.DecodeRuneInString(w[i:])
				g := w[prev : i+n]
				if !seen[g] {
					seen[g] = true
					out = append(out, g)
				}
			}
			prev = i
		}
	}
	return out
}

// SearchWords splits query q into its normalised words and checks them:
// one to MaxSearchWords words, each of at least MinSearchWord characters,
// MaxSearchLength characters in all. The error names the field "q" and
// never repeats the query.
func SearchWords(q string) ([]string, error) {
	if !utf8.ValidString(q) {
		return nil, Invalid("q", "must be valid UTF-8")
	}
	if utf8.RuneCountInString(q) > MaxSearchLength {
		return nil, Invalid("q", "at most %d characters", MaxSearchLength)
	}
	var words []string
	for _, w := range strings.FieldsFunc(NormalizeSearch(q), unicode.IsSpace) {
		if utf8.RuneCountInString(w) < MinSearchWord {
			return nil, Invalid("q", "each word needs at least %d characters", MinSearchWord)
		}
		if !Valid(words, w) {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return nil, Invalid("q", "needs a word of at least %d characters", MinSearchWord)
	}
	if len(words) > MaxSearchWords {
		return nil, Invalid("q", "at most %d words", MaxSearchWords)
	}
	return words, nil
}

// SnippetPart is a piece of a search snippet; Hit marks a piece that is a
// word of the query.
type SnippetPart struct {
	Text string `json:"text"`
	Hit  bool   `json:"hit,omitempty"`
}

// Snippet cuts from normalised text the line around the first place any of
// words occurs, at most about width characters, split into parts with the
// words marked. It is empty when no word occurs.
func Snippet(text string, words []string, width int) []SnippetPart {
	first, at := -1, ""
	for _, w := range words {
		if i := strings.Index(text, w); i >= 0 && (first < 0 || i < first) {
			first, at = i, w
		}
	}
	if first < 0 {
		return nil
	}
	// the line that holds it, cut to width runes around the word
	start := strings.LastIndexByte(text[:first], '\n') + 1
	end := len(text)
	if j := strings.IndexByte(text[first:], '\n'); j >= 0 {
		end = first + j
	}
	before := []rune(text[start:first])
	after := []rune(text[first+len(at) : end])
	room := max(width-utf8.RuneCountInString(at), 0)
	nb := min(len(before), room/3)
	na := min(len(after), room-nb)
	if na < room-nb { // short after: give the rest to before
		nb = min(len(before), room-na)
	}
	line := string(before[len(before)-nb:]) + at + string(after[:na])
	if nb < len(before) {
		line = "…" + line
	}
	if na < len(after) {
		line += "…"
	}
	var out []SnippetPart
	for line != "" {
		i, hit := -1, ""
		for _, w := range words {
			if j := strings.Index(line, w); j >= 0 && (i < 0 || j < i || j == i && len(w) > len(hit)) {
				i, hit = j, w
			}
		}
		if i < 0 {
			out = append(out, SnippetPart{Text: line})
			break
		}
		if i > 0 {
			out = append(out, SnippetPart{Text: line[:i]})
		}
		out = append(out, SnippetPart{Text: hit, Hit: true})
		line = line[i+len(hit):]
	}
	return out
}
