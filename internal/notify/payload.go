package notify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxPayloadBytes bounds an encoded Payload. webpush-go pads every message to
// a 4096-byte record anyway; this keeps the plaintext to ids and generic text.
const MaxPayloadBytes = 1024

// ErrPayloadTooLarge is returned by Payload.Encode and Sender.Send when the
// plaintext is over MaxPayloadBytes.
var ErrPayloadTooLarge = errors.New("notify: push payload too large")

// Payload types: what a push is about.
const (
	// PayloadTypeRecord marks a push about a new record.
	PayloadTypeRecord = "record"
	// PayloadTypeVisit marks a push about a visit assigned to the
	// recipient, or one of theirs that moved, was cancelled or changed
	// hands.
	PayloadTypeVisit = "visit"
	// PayloadTypeConfirm marks a push to the author of a record that
	// someone else entered for them (代行入力) or amended: a version
	// awaits their confirmation (確定).
	PayloadTypeConfirm = "confirm"
	// PayloadTypeAlert marks a push to the network administrators: a new
	// misuse alert awaits review (internal/alerts).
	PayloadTypeAlert = "alert"
)

// Texts is the generic notification text. It must never name a patient or
// say anything about a chart or a visit: lock screens are public.
type Texts struct {
	Title        string
	Body         string // a new record
	VisitNew     string // a visit assigned to the recipient
	VisitChanged string // a visit of the recipient moved, cancelled or reassigned
	Confirm      string // a version of the recipient's record awaits their confirmation
	Alert        string // a new misuse alert awaits review (network administrators)
}

// DefaultTexts is the Japanese text shown when the server configures none.
var DefaultTexts = Texts{Title: "つなぐ", Body: "新しい記録があります", VisitNew: "新しい訪問予定があります", VisitChanged: "訪問予定が変更されました",
	Confirm: "確定待ちの記録があります", Alert: "要確認のアラートがあります"}

// withDefaults fills the empty fields of t from DefaultTexts.
func (t Texts) withDefaults() Texts {
	if t.Title == "" {
		t.Title = DefaultTexts.Title
	}
	if t.Body == "" {
		t.Body = DefaultTexts.Body
	}
	if t.VisitNew == "" {
		t.VisitNew = DefaultTexts.VisitNew
	}
	if t.VisitChanged == "" {
		t.VisitChanged = DefaultTexts.VisitChanged
	}
	if t.Confirm == "" {
		t.Confirm = DefaultTexts.Confirm
	}
	if t.Alert == "" {
		t.Alert = DefaultTexts.Alert
	}
	return t
}

// Payload is the plaintext of a push message, read by the service worker.
// It holds opaque ids and generic text only; the app fetches what changed
// through the authorised sync API after the user taps.
type Payload struct {
	Type      string `json:"type"`
	PatientID string `json:"patient_id,omitempty"`
	RecordID  string `json:"record_id,omitempty"`
	VisitID   string `json:"visit_id,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Title     string `json:"title"`
	Body      string `json:"body"`
	URL       string `json:"url,omitempty"`
	// Tag groups notifications on the device: a newer one with the same
	// tag replaces the older (the service worker uses the patient id when
	// it is empty). Opaque, like the ids.
	Tag string `json:"tag,omitempty"`
}

// NewRecordPayload is the push for a record of a patient; the empty fields
// of t are filled from DefaultTexts. URL is left for the caller: the service
// worker opens the patient from the ids when it is empty.
func NewRecordPayload(patientID, recordID string, t Texts) Payload {
	t = t.withDefaults()
	return Payload{
		Type:      PayloadTypeRecord,
		PatientID: patientID,
		RecordID:  recordID,
		Title:     t.Title,
		Body:      t.Body,
	}
}

// NewVisitPayload is the push for a visit of a patient: created (the
// VisitNew text) or changed (VisitChanged). Like NewRecordPayload it holds
// opaque ids and generic text only; the note, the kind and the time stay
// on the server.
func NewVisitPayload(patientID, visitID string, created bool, t Texts) Payload {
	t = t.withDefaults()
	body := t.VisitChanged
	if created {
		body = t.VisitNew
	}
	return Payload{
		Type:      PayloadTypeVisit,
		PatientID: patientID,
		VisitID:   visitID,
		Title:     t.Title,
		Body:      body,
	}
}

// NewConfirmPayload is the push to the author of record recordID that
// someone else entered for them or amended: a version awaits their
// confirmation. Generic text and opaque ids only. Its tag and topic
// (ConfirmTag, Topics.ConfirmFor) are its own, so a later push about a new record of
// the same patient does not replace it, on the device or at the push
// service.
func NewConfirmPayload(patientID, recordID string, t Texts) Payload {
	t = t.withDefaults()
	return Payload{
		Type:      PayloadTypeConfirm,
		PatientID: patientID,
		RecordID:  recordID,
		Title:     t.Title,
		Body:      t.Confirm,
		Tag:       ConfirmTag(patientID),
	}
}

// AlertTag tags the alert pushes on the device: a newer one replaces the
// older.
const AlertTag = "alert"

// NewAlertPayload is the push to a network administrator that a new misuse
// alert awaits review. It carries the generic text only: no user, no
// patient, no rule, no count (the administrator reads the alert in the
// app, signed in).
func NewAlertPayload(t Texts) Payload {
	t = t.withDefaults()
	return Payload{Type: PayloadTypeAlert, Title: t.Title, Body: t.Alert, Tag: AlertTag}
}

// ConfirmTag is the notification tag of a patient's confirmation pushes,
// apart from the patient id that tags its other pushes on the device. It
// travels only inside the encrypted payload, which names the patient id
// anyway.
func ConfirmTag(patientID string) string { return "confirm:" + patientID }

// Encode returns the JSON for Message.Payload, or ErrPayloadTooLarge.
func (p Payload) Encode() ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode push payload: %w", err)
	}
	if len(b) > MaxPayloadBytes {
		return nil, fmt.Errorf("%w: %d bytes", ErrPayloadTooLarge, len(b))
	}
	return b, nil
}

// TopicKeyLen is the length of the secret key of Topics.
const TopicKeyLen = 32

// Topics derives RFC 8030 Topics (32 base64url characters) from opaque
// ids, so a newer push about the same patient replaces an undelivered older
// one at the push service. A Topic is the HMAC-SHA-256 of the id under a
// server secret: the push service sees a stable tag per patient, but
// cannot link it to an id (a plain hash of a known id could be checked),
// nor compare tags between two servers. Every instance of one server must
// share the key (the setting table keeps it).
type Topics struct{ key []byte }

// NewTopics returns the Topics of key, which must hold TopicKeyLen or
// more bytes.
func NewTopics(key []byte) (Topics, error) {
	if len(key) < TopicKeyLen {
		return Topics{}, fmt.Errorf("notify: topic key of %d bytes, want at least %d", len(key), TopicKeyLen)
	}
	return Topics{key: bytes.Clone(key)}, nil
}

// For is the Topic of the pushes about id (a patient).
func (t Topics) For(id string) string {
	if len(t.key) == 0 {
		panic("notify: Topics used without a key")
	}
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:32]
}

// ConfirmFor is the Topic of the confirmation pushes of a patient: unlike
// For(patientID), which every other push about the patient shares, a newer
// record does not replace it.
func (t Topics) ConfirmFor(patientID string) string { return t.For("confirm:" + patientID) }

// Payload types of the team channel (連絡): a new message, one that
// mentions the recipient, and an urgent one.
const (
	PayloadTypeMessage = "message"
	PayloadTypeMention = "mention"
	PayloadTypeUrgent  = "urgent"
)

// messageBodies are the generic texts of the team channel's pushes, by
// event kind (KindMessage, KindMention, KindUrgent): never a patient, never
// the message's text.
var messageBodies = map[string]string{
	KindMessage: "新しい連絡があります",
	KindMention: "あなた宛ての連絡があります",
	KindUrgent:  "至急の連絡があります",
}

// NewMessagePayload is the push of a team channel message of a patient to
// one recipient, as kind (KindMessage, KindMention or KindUrgent; any
// other is KindMessage). Generic text and opaque ids only; the app reads
// the message through the authorised API once tapped. Its tag
// (MessageTag) keeps a newer plain message from replacing an urgent one or
// a mention on the device.
func NewMessagePayload(kind, patientID, messageID string, t Texts) Payload {
	t = t.withDefaults()
	body, ok := messageBodies[kind]
	if !ok {
		kind, body = KindMessage, messageBodies[KindMessage]
	}
	return Payload{
		Type:      kind,
		PatientID: patientID,
		MessageID: messageID,
		Title:     t.Title,
		Body:      body,
		Tag:       MessageTag(kind, patientID),
	}
}

// MessageTag is the notification tag (and, through Topics.For, the topic)
// of a patient's team channel pushes of one kind.
func MessageTag(kind, patientID string) string { return kind + ":" + patientID }

// Staff messages (スタッフ連絡; api/staff_messages.go).

// PayloadTypeStaffMessage marks a push about a new message in one of the
// recipient's staff threads.
const PayloadTypeStaffMessage = "staff_message"

// StaffMessageBody is the text of every staff message push: never who
// wrote, what, or about whom.
const StaffMessageBody = "スタッフ連絡があります"

// NewStaffMessagePayload is the push for a new message in staff thread
// threadID: the generic text, and the thread's id only as the tag, so a
// newer one of the same thread replaces the older on the device. A tap
// opens the app's staff messages (push-target.ts), where the user is
// signed in.
func NewStaffMessagePayload(threadID string, t Texts) Payload {
	t = t.withDefaults()
	return Payload{Type: PayloadTypeStaffMessage, Title: t.Title, Body: StaffMessageBody, Tag: "staff:" + threadID}
}
