package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"tsunagu/internal/care"
)

// Staff messages (スタッフ連絡): threads between two accounts or among a
// facility's staff, their insert-only messages and each participant's read
// pointer. Who takes part is decided by care.StaffParticipant from the
// accounts as they are now; these rows hold no member list.

const kindStaffMessage = "staff_message"

// StaffThread is a stored thread. A facility's thread has the facility's
// id as its own; a pair's has UserA < UserB.
type StaffThread struct {
	ID            string         `db:"id"`
	Kind          string         `db:"kind"`
	FacilityID    sql.NullString `db:"facility_id"`
	UserA         sql.NullString `db:"user_a"`
	UserB         sql.NullString `db:"user_b"`
	LastSeq       int64          `db:"last_seq"`
	LastMessageAt sql.NullTime   `db:"last_message_at"`
	CreatedAt     time.Time      `db:"created_at"`
}

// Facts are what care.StaffParticipant decides on.
func (t StaffThread) Facts() care.StaffThreadFacts {
	return care.StaffThreadFacts{Kind: t.Kind, FacilityID: t.FacilityID.String, UserA: t.UserA.String, UserB: t.UserB.String}
}

const staffThreadColumns = `id, kind, facility_id, user_a, user_b, last_seq, last_message_at, created_at`

// StaffThread returns thread id, or ErrNotFound.
func (tx *Tx) StaffThread(ctx context.Context, id string) (StaffThread, error) {
	var t StaffThread
	err := tx.get(ctx, &t, `SELECT `+staffThreadColumns+` FROM staff_thread WHERE id = ?`, id)
	return t, err
}

// EnsureDirectThread returns the thread of accounts a and b (in either
// order), made under id when they have none yet. Two first messages of one
// pair at once end in the same thread on both engines.
func (tx *Tx) EnsureDirectThread(ctx context.Context, id, a, b string, now time.Time) (StaffThread, error) {
	if a > b {
		a, b = b, a
	}
	if _, err := tx.exec(ctx, `INSERT INTO staff_thread (`+staffThreadColumns+`) VALUES (?, ?, NULL, ?, ?, 0, NULL, ?) ON CONFLICT DO NOTHING`,
		id, care.StaffDirect, a, b, UTC(now)); err != nil {
		return StaffThread{}, fmt.Errorf("insert staff thread: %w", err)
	}
	var t StaffThread
	err := tx.get(ctx, &t, `SELECT `+staffThreadColumns+` FROM staff_thread WHERE user_a = ? AND user_b = ?`, a, b)
	return t, err
}

// EnsureFacilityThread returns the thread of facility facilityID's staff,
// made (under the facility's id) when it has none yet.
func (tx *Tx) EnsureFacilityThread(ctx context.Context, facilityID string, now time.Time) (StaffThread, error) {
	if _, err := tx.exec(ctx, `INSERT INTO staff_thread (`+staffThreadColumns+`) VALUES (?, ?, ?, NULL, NULL, 0, NULL, ?) ON CONFLICT DO NOTHING`,
		facilityID, care.StaffFacility, facilityID, UTC(now)); err != nil {
		return StaffThread{}, fmt.Errorf("insert staff thread: %w", err)
	}
	return tx.StaffThread(ctx, facilityID)
}

// StaffThreadItem is a thread as its list shows it to one user: the other
// account of a pair (or the facility), the caller's read position and how
// many messages of others lie beyond it.
type StaffThreadItem struct {
	StaffThread
	FacilityName   sql.NullString `db:"facility_name"`
	OtherID        sql.NullString `db:"other_id"`
	OtherName      sql.NullString `db:"other_name"`
	OtherProf      sql.NullString `db:"other_profession"`
	OtherStatus    sql.NullString `db:"other_status"`
	OtherFacility  sql.NullString `db:"other_facility_name"`
	ReadSeq        int64          `db:"read_seq"`
	Unread         int64          `db:"unread"`
	LastAuthorName sql.NullString `db:"last_author_name"`
}

// staffThreadItems selects threads as userID's list shows them; where
// (with its args) picks which.
const staffThreadItems = `SELECT t.id, t.kind, t.facility_id, t.user_a, t.user_b, t.last_seq, t.last_message_at, t.created_at,
		f.name AS facility_name, o.id AS other_id, o.name AS other_name, o.profession AS other_profession, o.status AS other_status,
		ofa.name AS other_facility_name, COALESCE(r.read_seq, 0) AS read_seq,
		(SELECT COUNT(*) FROM staff_message m WHERE m.thread_id = t.id AND m.seq > COALESCE(r.read_seq, 0) AND m.author_id <> ?) AS unread,
		(SELECT a.name FROM staff_message m JOIN app_user a ON a.id = m.author_id WHERE m.thread_id = t.id AND m.seq = t.last_seq) AS last_author_name
	FROM staff_thread t
	LEFT JOIN facility f ON f.id = t.facility_id
	LEFT JOIN app_user o ON o.id = CASE WHEN t.user_a = ? THEN t.user_b ELSE t.user_a END AND t.kind = 'direct'
	LEFT JOIN facility ofa ON ofa.id = o.facility_id
	LEFT JOIN staff_thread_read r ON r.thread_id = t.id AND r.user_id = ?
	WHERE `

// StaffThreadsOf lists the threads userID takes part in now (their pairs,
// and their facility's thread when facilityID is not empty and it has
// one), the most recently written first.
func (tx *Tx) StaffThreadsOf(ctx context.Context, userID, facilityID string) ([]StaffThreadItem, error) {
	items := []StaffThreadItem{}
	err := tx.sel(ctx, &items, staffThreadItems+`t.user_a = ? OR t.user_b = ? OR (t.kind = 'facility' AND t.facility_id = ?)
		ORDER BY COALESCE(t.last_message_at, t.created_at) DESC, t.id`, userID, userID, userID, userID, userID, facilityID)
	if err != nil {
		return nil, fmt.Errorf("staff threads: %w", err)
	}
	return items, nil
}

// StaffThreadItem is thread id as userID's list shows it (whether userID
// takes part in it is the caller's to decide), or ErrNotFound.
func (tx *Tx) StaffThreadItem(ctx context.Context, userID, id string) (StaffThreadItem, error) {
	var it StaffThreadItem
	err := tx.get(ctx, &it, staffThreadItems+`t.id = ?`, userID, userID, userID, id)
	return it, err
}

// StaffMessage is a stored message with its author's name and profession.
type StaffMessage struct {
	ID            string
	ThreadID      string
	Seq           int64
	AuthorID      string
	AuthorName    string
	Profession    string
	Text          string
	AttachmentIDs []string
	CreatedAt     time.Time
}

type staffMessageRow struct {
	ID          string    `db:"id"`
	ThreadID    string    `db:"thread_id"`
	Seq         int64     `db:"seq"`
	AuthorID    string    `db:"author_id"`
	AuthorName  string    `db:"author_name"`
	Profession  string    `db:"profession"`
	Text        string    `db:"text"`
	Attachments string    `db:"attachment_ids"`
	CreatedAt   time.Time `db:"created_at"`
}

func (r staffMessageRow) message() (StaffMessage, error) {
	m := StaffMessage{ID: r.ID, ThreadID: r.ThreadID, Seq: r.Seq, AuthorID: r.AuthorID, AuthorName: r.AuthorName,
		Profession: r.Profession, Text: r.Text, CreatedAt: r.CreatedAt, AttachmentIDs: []string{}}
	if err := json.Unmarshal([]byte(r.Attachments), &m.AttachmentIDs); err != nil {
		return m, fmt.Errorf("staff message %s attachments: %w", r.ID, err)
	}
	return m, nil
}

const staffMessageSelect = `SELECT m.id, m.thread_id, m.seq, m.author_id, u.name AS author_name, u.profession, m.text, m.attachment_ids, m.created_at
	FROM staff_message m JOIN app_user u ON u.id = m.author_id`

// NotCitableError is returned by CreateStaffMessage when attachment
// AttachmentIDs[Index] names no upload of the author that no message cites.
type NotCitableError struct{ Index int }

func (e *NotCitableError) Error() string {
	return fmt.Sprintf("store: staff attachment %d is not citable", e.Index)
}

// CreateStaffMessage claims m.ID (ErrIDTaken when it names any entity),
// numbers m in its thread, inserts it, makes it the citing message of its
// attachments (*NotCitableError naming the first that is not an uncited
// upload of m's author) and moves the author's read pointer to it. It
// returns m as stored.
func (tx *Tx) CreateStaffMessage(ctx context.Context, m StaffMessage) (StaffMessage, error) {
	if err := tx.claimID(ctx, kindStaffMessage, m.ID); err != nil {
		return m, err
	}
	now := UTC(m.CreatedAt)
	if _, err := tx.exec(ctx, `UPDATE staff_thread SET last_seq = last_seq + 1, last_message_at = ? WHERE id = ?`, now, m.ThreadID); err != nil {
		return m, fmt.Errorf("number staff message: %w", err)
	}
	if err := tx.get(ctx, &m.Seq, `SELECT last_seq FROM staff_thread WHERE id = ?`, m.ThreadID); err != nil {
		return m, fmt.Errorf("number staff message: %w", err)
	}
	if m.AttachmentIDs == nil {
		m.AttachmentIDs = []string{}
	}
	att, err := json.Marshal(m.AttachmentIDs)
	if err != nil {
		return m, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO staff_message (id, thread_id, seq, author_id, text, attachment_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.ThreadID, m.Seq, m.AuthorID, m.Text, string(att), now); err != nil {
		return m, fmt.Errorf("insert staff message: %w", err)
	}
	for i, id := range m.AttachmentIDs {
		n, err := tx.exec(ctx, `UPDATE staff_attachment SET message_id = ? WHERE id = ? AND uploaded_by = ? AND message_id IS NULL`, m.ID, id, m.AuthorID)
		if err != nil {
			return m, fmt.Errorf("cite staff attachment: %w", err)
		}
		if n != 1 {
			return m, &NotCitableError{Index: i}
		}
	}
	if err := tx.MarkStaffThreadRead(ctx, m.ThreadID, m.AuthorID, m.Seq, now); err != nil {
		return m, err
	}
	m.CreatedAt = now
	return m, nil
}

// StaffMessage returns message id, or ErrNotFound.
func (tx *Tx) StaffMessage(ctx context.Context, id string) (StaffMessage, error) {
	var r staffMessageRow
	if err := tx.get(ctx, &r, staffMessageSelect+` WHERE m.id = ?`, id); err != nil {
		return StaffMessage{}, err
	}
	return r.message()
}

// StaffMessages returns up to limit messages of thread threadID numbered
// below beforeSeq (0: from the newest), newest first.
func (tx *Tx) StaffMessages(ctx context.Context, threadID string, beforeSeq int64, limit int) ([]StaffMessage, error) {
	if beforeSeq <= 0 {
		beforeSeq = 1 << 62
	}
	var rows []staffMessageRow
	if err := tx.sel(ctx, &rows, staffMessageSelect+` WHERE m.thread_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`,
		threadID, beforeSeq, limit); err != nil {
		return nil, fmt.Errorf("staff messages: %w", err)
	}
	out := make([]StaffMessage, 0, len(rows))
	for _, r := range rows {
		m, err := r.message()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// MarkStaffThreadRead moves userID's read pointer in thread threadID to
// seq, forward only: an older position changes nothing.
func (tx *Tx) MarkStaffThreadRead(ctx context.Context, threadID, userID string, seq int64, now time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO staff_thread_read (thread_id, user_id, read_seq, read_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (thread_id, user_id) DO UPDATE SET read_seq = excluded.read_seq, read_at = excluded.read_at
		WHERE staff_thread_read.read_seq < excluded.read_seq`, threadID, userID, seq, UTC(now))
	if err != nil {
		return fmt.Errorf("mark staff thread read: %w", err)
	}
	return nil
}

// StaffReadSeq is how far userID has read thread threadID (0: nothing).
func (tx *Tx) StaffReadSeq(ctx context.Context, threadID, userID string) (int64, error) {
	var n int64
	err := tx.get(ctx, &n, `SELECT read_seq FROM staff_thread_read WHERE thread_id = ? AND user_id = ?`, threadID, userID)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	return n, err
}

// StaffRecipients are the accounts that hear of a new message in thread
// t besides its author: the other of a pair while active, or the
// facility's active staff.
func (tx *Tx) StaffRecipients(ctx context.Context, t StaffThread, authorID string) ([]string, error) {
	ids := []string{}
	var err error
	switch t.Kind {
	case care.StaffDirect:
		err = tx.sel(ctx, &ids, `SELECT id FROM app_user WHERE id IN (?, ?) AND id <> ? AND status = ? ORDER BY id`,
			t.UserA.String, t.UserB.String, authorID, care.StatusActive)
	case care.StaffFacility:
		err = tx.sel(ctx, &ids, `SELECT id FROM app_user WHERE facility_id = ? AND id <> ? AND status = ? ORDER BY id`,
			t.FacilityID.String, authorID, care.StatusActive)
	}
	if err != nil {
		return nil, fmt.Errorf("staff recipients: %w", err)
	}
	return ids, nil
}
