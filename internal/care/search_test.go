package care

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// notText are the string fields of a record's content that are not text
// to search: ids and codes of measurements.
var notText = map[string]bool{"RecordContent.AttachmentIDs": true, "Vitals.Consciousness": true}

// coded are string fields holding a code, indexed as its Japanese label.
var coded = map[string]map[string]string{"RecordFields.Adherence": AdherenceLabels, "RecordFields.DocumentType": DocumentTypeLabels}

// TestSearchTextHasEveryStringField fills every string field of a record's
// content, found by reflection (nested structs and lists of structs too),
// with a marker of its own and finds each marker in SearchText: a string
// field added to RecordContent, RecordFields or Drug and forgotten in
// SearchText fails here.
func TestSearchTextHasEveryStringField(t *testing.T) {
	var c RecordContent
	want := map[string]string{} // field path → what SearchText must hold
	n := 0
	var fill func(v reflect.Value, typ string)
	fill = func(v reflect.Value, typ string) {
		for i := 0; i < v.NumField(); i++ {
			sf, fv := v.Type().Field(i), v.Field(i)
			path := typ + "." + sf.Name
			if notText[path] {
				continue
			}
			switch fv.Kind() {
			case reflect.String:
				if labels, ok := coded[path]; ok {
					for code, label := range labels {
						fv.SetString(code)
						want[path] = label
						break
					}
					continue
				}
				n++
				m := fmt.Sprintf("標識%03dマーカ", n)
				fv.SetString(m)
				want[path] = m
			case reflect.Struct:
				fill(fv, sf.Type.Name())
			case reflect.Pointer:
				if sf.Type.Elem().Kind() == reflect.Struct {
					fv.Set(reflect.New(sf.Type.Elem()))
					fill(fv.Elem(), sf.Type.Elem().Name())
				}
			case reflect.Slice:
				switch sf.Type.Elem().Kind() {
				case reflect.Struct:
					fv.Set(reflect.MakeSlice(sf.Type, 1, 1))
					fill(fv.Index(0), sf.Type.Elem().Name())
				case reflect.String:
					t.Errorf("%s is a list of strings: index it in SearchText (and add it here) or list it in notText", path)
				}
			}
		}
	}
	fill(reflect.ValueOf(&c).Elem(), "RecordContent")
	if len(want) < 25 {
		t.Fatalf("only %d string fields found: the walk is broken", len(want))
	}
	got := c.SearchText()
	for path, m := range want {
		if !strings.Contains(got, NormalizeSearch(m)) {
			t.Errorf("SearchText misses %s", path)
		}
	}
}

func TestNormalizeAndBigrams(t *testing.T) {
	if got := NormalizeSearch("ｶﾞｰｾﾞ　ＡＢＣ１２"); got != "ガーゼ abc12" {
		t.Errorf("NormalizeSearch = %q", got)
	}
	if got := strings.Join(Bigrams("褥瘡 あ 発赤あり"), ","); got != "褥瘡,発赤,赤あ,あり" {
		t.Errorf("Bigrams = %q", got)
	}
	if got := Bigrams("ああああ"); len(got) != 1 {
		t.Errorf("Bigrams dedupes: %q", got)
	}
}

func TestSearchWords(t *testing.T) {
	w, err := SearchWords(" 褥瘡　ｶﾞｰｾﾞ 褥瘡 ")
	if err != nil || strings.Join(w, ",") != "褥瘡,ガーゼ" {
		t.Fatalf("SearchWords = %q, %v", w, err)
	}
	for _, q := range []string{"", "  ", "褥", "褥瘡 あ", "ab cd ef gh ij kl", strings.Repeat("あ", 101), "\xff\xfe"} {
		_, err := SearchWords(q)
		var e *Error
		if !errors.As(err, &e) || e.Field != "q" {
			t.Errorf("SearchWords(%q) = %v, want an error naming q", q, err)
		}
		if err != nil && q != "" && strings.Contains(err.Error(), strings.TrimSpace(q)) && strings.TrimSpace(q) != "" {
			t.Errorf("the error repeats the query: %v", err)
		}
	}
}

func TestSnippet(t *testing.T) {
	text := NormalizeSearch("一行目\n仙骨部に発赤あり、ガーゼ交換を行った。明日も観察する予定です。\n三行目")
	parts := Snippet(text, []string{"発赤", "ガーゼ"}, 20)
	var b strings.Builder
	hits := 0
	for _, p := range parts {
		if p.Hit {
			hits++
			b.WriteString("[" + p.Text + "]")
		} else {
			b.WriteString(p.Text)
		}
	}
	if got := b.String(); !strings.Contains(got, "[発赤]") || !strings.Contains(got, "[ガーゼ]") || strings.Contains(got, "一行目") || strings.Contains(got, "三行目") {
		t.Errorf("Snippet = %q", got)
	}
	if Snippet(text, []string{"なし"}, 20) != nil {
		t.Error("a snippet without a hit")
	}
}
