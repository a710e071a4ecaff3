package demo

import (
	"context"
	"time"

	"tsunagu/internal/store"
)

// staffNote is one fictional staff message (スタッフ連絡) of the demo region:
// from and to are logins, or to a facility key for its staff's thread;
// ago is how long before the fill it was written. None names a patient, as
// staff messages must not.
type staffNote struct {
	from, to, facility, text string
	ago                      time.Duration
}

var staffNotes = []staffNote{
	{from: "demo.doctor", to: "demo.nurse", text: "来週の担当者会議は木曜14時からでお願いできますか。", ago: 50 * time.Hour},
	{from: "demo.nurse", to: "demo.doctor", text: "承知しました。木曜14時に伺います。", ago: 49 * time.Hour},
	{from: "demo.pharmacist", to: "demo.doctor", text: "年末年始の薬局の営業日を共有します。12/30〜1/3は休業、緊急時は当番薬局へお願いします。", ago: 26 * time.Hour},
	{from: "demo.nurse", facility: "station", text: "本日の申し送り：午後の訪問車両は2号車を使います。", ago: 5 * time.Hour},
	{from: "demo.nurse2", facility: "station", text: "了解です。2号車の鍵は事務所に戻しておきます。", ago: 4 * time.Hour},
	{from: "demo.caremanager", to: "demo.nurse", text: "研修会の資料が届きました。事業所に置いておきます。", ago: 2 * time.Hour},
}

// fillStaffMessages writes staffNotes, each thread read by its author up
// to their own message (the others' stay unread, to show the badges).
func fillStaffMessages(ctx context.Context, tx *store.Tx, users, facilities map[string]string, now time.Time, id func() string) error {
	for _, n := range staffNotes {
		at := now.Add(-n.ago)
		var t store.StaffThread
		var err error
		if n.facility != "" {
			t, err = tx.EnsureFacilityThread(ctx, facilities[n.facility], at)
		} else {
			t, err = tx.EnsureDirectThread(ctx, id(), users[n.from], users[n.to], at)
		}
		if err != nil {
			return err
		}
		if _, err := tx.CreateStaffMessage(ctx, store.StaffMessage{ID: id(), ThreadID: t.ID, AuthorID: users[n.from], Text: n.text, CreatedAt: at}); err != nil {
			return err
		}
	}
	return nil
}
