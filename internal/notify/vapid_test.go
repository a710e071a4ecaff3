package notify_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"tsunagu/internal/notify"
)

func TestVAPIDKeysPersist(t *testing.T) {
	k := mustKeys(t)
	pub, err := base64.RawURLEncoding.DecodeString(k.PublicKey())
	if err != nil || len(pub) != 65 || pub[0] != 4 {
		t.Fatalf("public key %q is not an uncompressed P-256 point in base64url", k.PublicKey())
	}
	text, err := k.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	back, err := notify.ParseVAPIDKeys(string(text))
	if err != nil {
		t.Fatal(err)
	}
	if back.PublicKey() != k.PublicKey() {
		t.Error("public key changed across marshal/unmarshal")
	}
	if other := mustKeys(t); other.PublicKey() == k.PublicKey() {
		t.Error("two generated keys are equal")
	}

	// Stored inside a JSON document, e.g. a settings row.
	doc, err := json.Marshal(struct{ Keys notify.VAPIDKeys }{k})
	if err != nil {
		t.Fatal(err)
	}
	var decoded struct{ Keys notify.VAPIDKeys }
	if err := json.Unmarshal(doc, &decoded); err != nil || decoded.Keys.PublicKey() != k.PublicKey() {
		t.Fatalf("JSON round trip: %v", err)
	}
}

func TestVAPIDKeysNeverPrintPrivate(t *testing.T) {
	k := mustKeys(t)
	text, _ := k.MarshalText()
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %s", k, k, k), k.LogValue().String()} {
		if strings.Contains(s, string(text)) {
			t.Errorf("private key printed in %q", s)
		}
	}
}

func TestParseVAPIDKeysRejectsGarbage(t *testing.T) {
	for _, s := range []string{"", "not base64!", "AAAA", strings.Repeat("A", 43)} {
		if _, err := notify.ParseVAPIDKeys(s); !errors.Is(err, notify.ErrInvalidVAPIDKey) {
			t.Errorf("ParseVAPIDKeys(%q) = %v, want ErrInvalidVAPIDKey", s, err)
		}
	}
	if _, err := notify.NewSender(notify.SenderConfig{Subject: testSubject}); err == nil {
		t.Error("NewSender accepted zero keys")
	}
}

func TestNewSenderSubject(t *testing.T) {
	k := mustKeys(t)
	for subject, ok := range map[string]bool{
		"mailto:ops@example.jp":   true,
		"ops@example.jp":          true,
		"https://tsunagu.example": true,
		"":                        false,
		"mailto:":                 false,
		"ops":                     false,
		"http://tsunagu.example":  false,
	} {
		_, err := notify.NewSender(notify.SenderConfig{Keys: k, Subject: subject})
		if (err == nil) != ok {
			t.Errorf("subject %q: err %v, want ok=%v", subject, err, ok)
		}
	}
}

func mustTopics(tb testing.TB) notify.Topics {
	tb.Helper()
	key := make([]byte, notify.TopicKeyLen)
	if _, err := rand.Read(key); err != nil {
		tb.Fatal(err)
	}
	t, err := notify.NewTopics(key)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

var rfc8030Topic = regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`)

// TestTopics: a Topic is 32 base64url characters (RFC 8030 §5.4), stable
// per id under one key, unlike the plain hash of the id (which anyone who
// knows an id can compute), and unlike the Topic another server's key
// gives the same id.
func TestTopics(t *testing.T) {
	k := mustTopics(t)
	a, b := k.For("patient-a"), k.For("patient-b")
	for _, topic := range []string{a, b, k.ConfirmFor("patient-a")} {
		if !rfc8030Topic.MatchString(topic) {
			t.Errorf("topic %q is not 32 base64url characters", topic)
		}
	}
	if a == b || a != k.For("patient-a") {
		t.Error("topic is not a stable per-id value")
	}
	sum := sha256.Sum256([]byte("patient-a"))
	if plain := base64.RawURLEncoding.EncodeToString(sum[:])[:32]; a == plain {
		t.Error("topic is the unkeyed hash of the id")
	}
	if other := mustTopics(t); other.For("patient-a") == a {
		t.Error("two keys give the same topic")
	}
	if c := k.ConfirmFor("patient-a"); c == a || c != k.ConfirmFor("patient-a") {
		t.Errorf("confirmation topic %q is not its own stable value", c)
	}
	if _, err := notify.NewTopics(make([]byte, notify.TopicKeyLen-1)); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestPayloadEncode(t *testing.T) {
	p, err := notify.NewRecordPayload("p", "r", notify.Texts{Title: "Tsunagu"}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"record","patient_id":"p","record_id":"r","title":"Tsunagu","body":"新しい記録があります"}`
	if string(p) != want {
		t.Errorf("payload %s, want %s", p, want)
	}
	big := notify.NewRecordPayload("p", "r", notify.Texts{Body: strings.Repeat("あ", 400)})
	if _, err := big.Encode(); !errors.Is(err, notify.ErrPayloadTooLarge) {
		t.Errorf("large payload: %v, want ErrPayloadTooLarge", err)
	}
}

// TestConfirmPayload: the push asking an author to confirm carries the
// configured generic text (or the default), opaque ids, and a tag and
// topic of its own, apart from the patient's record pushes.
func TestConfirmPayload(t *testing.T) {
	p, err := notify.NewConfirmPayload("p", "r", notify.Texts{}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"confirm","patient_id":"p","record_id":"r","title":"つなぐ","body":"確定待ちの記録があります","tag":"confirm:p"}`
	if string(p) != want {
		t.Errorf("payload %s, want %s", p, want)
	}
	if got := notify.NewConfirmPayload("p", "r", notify.Texts{Confirm: "Please confirm an entry"}); got.Body != "Please confirm an entry" {
		t.Errorf("configured text not used: %+v", got)
	}
}
