package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/store"
)

// channelLine is one fictional message of a demo team channel: who writes
// it (a demo login), whom it mentions, whether it is urgent, and whether
// it answers the line before it.
type channelLine struct {
	from     string
	text     string
	mentions []string
	urgent   bool
	reply    bool
}

// demoChannel is the conversation of the first demo patients whose team
// has the care worker: a nurse's question to the doctor, the doctor's
// instruction, the care worker's note and an urgent one. All invented.
var demoChannel = []channelLine{
	{from: "demo.nurse", text: "本日訪問しました。食事量がやや減っています。次回の往診で確認をお願いできますか。", mentions: []string{"demo.doctor"}},
	{from: "demo.doctor", text: "承知しました。次回往診で確認します。水分摂取を多めに声かけしてください。", reply: true},
	{from: "demo.helper", text: "昼食は半分ほど召し上がりました。水分の声かけを続けます。"},
	{from: "demo.caremanager", text: "来週のサービス担当者会議の日程を調整中です。ご都合をお知らせください。", mentions: []string{"demo.doctor", "demo.nurse"}},
	{from: "demo.nurse", text: "夕方に37.8度の発熱あり。至急ご指示をお願いします。", mentions: []string{"demo.doctor"}, urgent: true},
}

// fillChannel writes the demo conversation into the team channel of the
// first consented patients whose team has the care worker, a few minutes
// apart up to now. Devices get it with their first snapshot.
func fillChannel(ctx context.Context, tx *store.Tx, userIDs map[string]string, now time.Time) error {
	patients, err := tx.UserTeamPatientIDs(ctx, userIDs["demo.helper"])
	if err != nil {
		return err
	}
	written := 0
	for _, pid := range patients {
		if written == 3 {
			break
		}
		facts, err := tx.PatientFacts(ctx, pid, userIDs["demo.helper"])
		if err != nil {
			return err
		}
		if !facts.ConsentActive {
			continue
		}
		team, err := tx.TeamUserIDs(ctx, pid)
		if err != nil {
			return err
		}
		prev := ""
		for i, l := range demoChannel {
			var mentions []string
			for _, login := range l.mentions {
				if slices.Contains(team, userIDs[login]) {
					mentions = append(mentions, userIDs[login])
				}
			}
			slices.Sort(mentions)
			m := store.Message{ID: uuid.Must(uuid.NewV7()).String(), PatientID: pid, AuthorID: userIDs[l.from], AuthorProfession: professionOf(l.from),
				Text: l.text, Urgent: l.urgent, Mentions: mentions, CreatedAt: store.UTC(now.Add(time.Duration(i-len(demoChannel)) * 7 * time.Minute))}
			if l.reply {
				m.ReplyTo = nullString(prev)
			}
			sum := sha256.Sum256([]byte("demo\x00" + m.ID))
			m.RequestHash = hex.EncodeToString(sum[:]) // a demo message is never retried
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			prev = m.ID
		}
		written++
	}
	return nil
}

// professionOf is the profession of a demo login.
func professionOf(login string) string {
	for _, p := range people {
		if p.login == login {
			return p.profession
		}
	}
	return ""
}
