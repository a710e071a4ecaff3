package mail

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"net/mail"
	"sort"
	"strings"
	"time"
)

// Mail kinds: what one outbox row says. The texts are generic: no patient,
// no record content, no time or place of a visit; only the kind of news and
// a link to the app, where the user signs in to see it.
const (
	KindRecord       = "record"        // a new record of a patient on the recipient's team
	KindConfirm      = "confirm"       // a record awaits the recipient's confirmation
	KindVisitNew     = "visit_new"     // a visit assigned to the recipient
	KindVisitChanged = "visit_changed" // a visit of the recipient moved, was cancelled or changed hands
	KindAlert        = "alert"         // a misuse alert awaits review (network administrators)
	KindMessage      = "message"       // team channel (reserved)
	KindMention      = "mention"       // team channel (reserved)
	KindUrgent       = "urgent"        // team channel (reserved)
	KindVerify       = "verify"        // confirm a new address
	// KindStaffMessage: a new staff message (スタッフ連絡) to the recipient
	// or their facility; like the others, it never says who or what.
	KindStaffMessage = "staff_message"
)

type text struct{ subject, line string }

var texts = map[string]text{
	KindRecord:       {"つなぐ: 新しい記録があります", "担当する患者さんに新しい記録があります。"},
	KindConfirm:      {"つなぐ: 確定待ちの記録があります", "あなたが確定する記録があります。"},
	KindVisitNew:     {"つなぐ: 新しい訪問予定があります", "あなたの新しい訪問予定があります。"},
	KindVisitChanged: {"つなぐ: 訪問予定が変更されました", "あなたの訪問予定が変更されました。"},
	KindAlert:        {"つなぐ: 要確認のアラートがあります", "確認が必要なアラートがあります。"},
	KindMessage:      {"つなぐ: 新しい連絡があります", "チームに新しい連絡があります。"},
	KindMention:      {"つなぐ: あなた宛ての連絡があります", "あなた宛ての連絡があります。"},
	KindUrgent:       {"つなぐ: 至急の連絡があります", "至急の連絡があります。"},
	KindStaffMessage: {"つなぐ: スタッフ連絡があります", "あなたまたは所属施設宛てのスタッフ連絡があります。"},
}

// counted is the line of a gathered mail for n events of a kind.
var counted = map[string]string{
	KindRecord:       "新しい記録: %d件",
	KindConfirm:      "確定待ちの記録: %d件",
	KindVisitNew:     "新しい訪問予定: %d件",
	KindVisitChanged: "訪問予定の変更: %d件",
	KindAlert:        "要確認のアラート: %d件",
	KindMessage:      "新しい連絡: %d件",
	KindMention:      "あなた宛ての連絡: %d件",
	KindUrgent:       "至急の連絡: %d件",
	KindStaffMessage: "スタッフ連絡: %d件",
}

const footer = "\n\nこのメールには患者さんの情報は含まれていません。内容はつなぐにログインしてご確認ください。\n" +
	"通知の設定（メール・プッシュ・通知しない時間帯）はアプリの「設定」→「通知」で変えられます。\n" +
	"このメールに返信しないでください。\n"

// Content is a mail's subject and plain-text body.
type Content struct{ Subject, Body string }

// Notice is the mail of one event of kind; appURL is the app's address.
func Notice(kind, appURL string) Content {
	t, ok := texts[kind]
	if !ok {
		t = texts[KindRecord]
	}
	return Content{Subject: t.subject, Body: t.line + "\n\n" + appURL + "/" + footer}
}

// Gathered is one mail for several events: counts per kind.
func Gathered(counts map[string]int, appURL string) Content {
	if len(counts) == 1 {
		for k, n := range counts {
			if n == 1 {
				return Notice(k, appURL)
			}
		}
	}
	kinds := make([]string, 0, len(counts))
	total := 0
	for k, n := range counts {
		kinds = append(kinds, k)
		total += n
	}
	sort.Slice(kinds, func(i, j int) bool { return order(kinds[i]) < order(kinds[j]) })
	var b strings.Builder
	b.WriteString("つなぐに新しいお知らせがあります。\n\n")
	for _, k := range kinds {
		f, ok := counted[k]
		if !ok {
			f = counted[KindRecord]
		}
		b.WriteString("・" + fmt.Sprintf(f, counts[k]) + "\n")
	}
	b.WriteString("\n" + appURL + "/" + footer)
	return Content{Subject: fmt.Sprintf("つなぐ: 新しいお知らせがあります（%d件）", total), Body: b.String()}
}

func order(kind string) int {
	for i, k := range []string{KindUrgent, KindMention, KindMessage, KindStaffMessage, KindRecord, KindConfirm, KindVisitNew, KindVisitChanged, KindAlert} {
		if k == kind {
			return i
		}
	}
	return 99
}

// Verification is the mail that confirms a new address: the link opens
// the notification settings with the token in the fragment (never sent to
// a server in a request line or a Referer).
func Verification(appURL, token string) Content {
	return Content{Subject: "つなぐ: メールアドレスの確認",
		Body: "つなぐの通知先としてこのメールアドレスが登録されました。\n" +
			"次のリンクを開き、つなぐにログインした状態で確認を完了してください（24時間有効）。\n\n" +
			appURL + "/#/settings/notifications?confirm=" + token + "\n\n" +
			"お心当たりがない場合は、このメールを破棄してください。" + footer}
}

// MessageID is the Message-ID of the mail of outbox row id: the same on
// every attempt, so a copy sent again after a crash is recognisably the
// same message (receivers such as Gmail, and mailpit with
// --ignore-duplicate-ids, keep one).
func MessageID(id string, from mail.Address) string {
	return "<" + id + "@" + helloName(from.Address) + ">"
}

// Compose is the complete message: headers (subject encoded per RFC 2047)
// and a base64 UTF-8 plain-text body.
func Compose(from mail.Address, to string, c Content, messageID string, date time.Time) []byte {
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from.String())
	h("To", (&mail.Address{Address: to}).String())
	h("Subject", mime.BEncoding.Encode("UTF-8", c.Subject))
	h("Date", date.Format(time.RFC1123Z))
	h("Message-ID", messageID)
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=UTF-8")
	h("Content-Transfer-Encoding", "base64")
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(c.Body, "\n", "\r\n")))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}
