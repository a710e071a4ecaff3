package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"tsunagu/internal/care"
)

// kindMessage is the entity_id kind of a team channel message.
const kindMessage = "message"

// Message is one message of a patient's team channel, with what is read
// alongside it: the author's name, who it mentions and its retraction.
type Message struct {
	ID               string         `db:"id"`
	PatientID        string         `db:"patient_id"`
	AuthorID         string         `db:"author_id"`
	AuthorName       string         `db:"author_name"`
	AuthorProfession string         `db:"author_profession"`
	Text             string         `db:"text"`
	ReplyTo          sql.NullString `db:"reply_to"`
	Urgent           bool           `db:"urgent"`
	AttachmentJSON   string         `db:"attachment_ids"`
	CreatedAt        time.Time      `db:"created_at"`
	RequestHash      string         `db:"request_hash"`
	RetractedAt      sql.NullTime   `db:"retracted_at"`

	AttachmentIDs []string `db:"-"`
	Mentions      []string `db:"-"` // sorted user ids
}

// Key is the message's position in its channel.
func (m Message) Key() MessageKey { return MessageKey{CreatedAt: m.CreatedAt, ID: m.ID} }

// MessageKey is a position in a channel, which runs by (created_at, id).
type MessageKey struct {
	CreatedAt time.Time
	ID        string
}

// After reports whether k comes after o in the channel.
func (k MessageKey) After(o MessageKey) bool {
	if !k.CreatedAt.Equal(o.CreatedAt) {
		return k.CreatedAt.After(o.CreatedAt)
	}
	return k.ID > o.ID
}

const messageColumns = `m.id, m.patient_id, m.author_id, COALESCE(u.name, '') AS author_name, m.author_profession, m.text, m.reply_to,
	m.urgent, m.attachment_ids, m.created_at, m.request_hash, x.retracted_at`

const messageFrom = ` FROM message m JOIN app_user u ON u.id = m.author_id LEFT JOIN message_retraction x ON x.message_id = m.id`

// CreateMessage inserts m with its mentions and the attachments it cites.
// The caller checks first whether the id is a message already (a retry);
// an id that names any other entity gives ErrIDTaken.
func (tx *Tx) CreateMessage(ctx context.Context, m Message) error {
	if err := tx.claimID(ctx, kindMessage, m.ID); err != nil {
		return err
	}
	ids := m.AttachmentIDs
	if ids == nil {
		ids = []string{}
	}
	att, _ := json.Marshal(ids)
	_, err := tx.exec(ctx, `INSERT INTO message (id, patient_id, author_id, author_profession, text, reply_to, urgent, attachment_ids, created_at, request_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.PatientID, m.AuthorID, m.AuthorProfession, m.Text, m.ReplyTo, m.Urgent, string(att), UTC(m.CreatedAt), m.RequestHash)
	if isPrimaryKeyViolation(err) {
		return ErrIDTaken
	}
	if err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	for _, u := range m.Mentions {
		if _, err := tx.exec(ctx, `INSERT INTO message_mention (message_id, user_id) VALUES (?, ?)`, m.ID, u); err != nil {
			return fmt.Errorf("insert mention: %w", err)
		}
	}
	for _, a := range ids {
		if _, err := tx.exec(ctx, `INSERT INTO message_citation (attachment_id, message_id) VALUES (?, ?) ON CONFLICT (attachment_id, message_id) DO NOTHING`,
			a, m.ID); err != nil {
			return fmt.Errorf("cite attachment: %w", err)
		}
	}
	return nil
}

// Message returns message id, or ErrNotFound. It does not check access:
// callers decide on m.PatientID first.
func (tx *Tx) Message(ctx context.Context, id string) (Message, error) {
	var ms []Message
	if err := tx.sel(ctx, &ms, `SELECT `+messageColumns+messageFrom+` WHERE m.id = ?`, id); err != nil {
		return Message{}, fmt.Errorf("message: %w", err)
	}
	if len(ms) == 0 {
		return Message{}, ErrNotFound
	}
	if err := tx.fillMessages(ctx, ms); err != nil {
		return Message{}, err
	}
	return ms[0], nil
}

// MessagePatientID returns the patient of message id, or ErrNotFound.
func (tx *Tx) MessagePatientID(ctx context.Context, id string) (string, error) {
	var pid string
	err := tx.get(ctx, &pid, `SELECT patient_id FROM message WHERE id = ?`, id)
	return pid, err
}

// fillMessages decodes the attachment ids and reads the mentions of ms.
func (tx *Tx) fillMessages(ctx context.Context, ms []Message) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]string, len(ms))
	at := make(map[string]int, len(ms))
	for i := range ms {
		ids[i], at[ms[i].ID] = ms[i].ID, i
		ms[i].Mentions = []string{}
		if err := json.Unmarshal([]byte(ms[i].AttachmentJSON), &ms[i].AttachmentIDs); err != nil {
			return fmt.Errorf("message %s attachment ids: %w", ms[i].ID, err)
		}
		ms[i].CreatedAt = ms[i].CreatedAt.UTC()
	}
	var rows []struct {
		MessageID string `db:"message_id"`
		UserID    string `db:"user_id"`
	}
	if err := tx.sel(ctx, &rows, `SELECT message_id, user_id FROM message_mention WHERE message_id IN `+tx.inList(), jsonList(ids)); err != nil {
		return fmt.Errorf("mentions: %w", err)
	}
	for _, r := range rows {
		m := &ms[at[r.MessageID]]
		m.Mentions = append(m.Mentions, r.UserID)
	}
	for i := range ms {
		slices.Sort(ms[i].Mentions)
	}
	return nil
}

// MessagesQuery selects a page of a patient's channel, newest first.
type MessagesQuery struct {
	PatientID string
	Before    *MessageKey
	Limit     int
}

// Messages returns up to q.Limit messages of a patient's channel, newest
// first.
func (tx *Tx) Messages(ctx context.Context, q MessagesQuery) ([]Message, error) {
	where := "m.patient_id = ?"
	args := []any{q.PatientID}
	if q.Before != nil {
		where += " AND (m.created_at, m.id) < (?, ?)"
		args = append(args, UTC(q.Before.CreatedAt), q.Before.ID)
	}
	ms := []Message{}
	err := tx.sel(ctx, &ms, `SELECT `+messageColumns+messageFrom+` WHERE `+where+` ORDER BY m.created_at DESC, m.id DESC`+limitSQL(q.Limit), args...)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	if len(ms) > q.Limit {
		ms = ms[:q.Limit]
	}
	return ms, tx.fillMessages(ctx, ms)
}

// MessagesByIDs returns those of the given messages that belong to
// patientID (the pull loads them per patient); ids it leaves out are gone.
func (tx *Tx) MessagesByIDs(ctx context.Context, patientID string, ids []string) ([]Message, error) {
	ms := []Message{}
	if len(ids) == 0 {
		return ms, nil
	}
	err := tx.sel(ctx, &ms, `SELECT `+messageColumns+messageFrom+` WHERE m.id IN `+tx.inList()+` AND m.patient_id = ?
		ORDER BY m.created_at, m.id`, jsonList(ids), patientID)
	if err != nil {
		return nil, fmt.Errorf("messages by ids: %w", err)
	}
	return ms, tx.fillMessages(ctx, ms)
}

// RecentMessageIDs returns the ids of the n newest messages of a patient,
// oldest first: what a device gets of a patient it gains.
func (tx *Tx) RecentMessageIDs(ctx context.Context, patientID string, n int) ([]string, error) {
	var rows []struct {
		ID        string    `db:"id"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := tx.sel(ctx, &rows, `SELECT m.id, m.created_at FROM message m WHERE m.patient_id = ? ORDER BY m.created_at DESC, m.id DESC`+limitSQL(n), patientID); err != nil {
		return nil, fmt.Errorf("recent messages: %w", err)
	}
	if len(rows) > n {
		rows = rows[:n]
	}
	out := make([]string, 0, len(rows))
	for i := len(rows) - 1; i >= 0; i-- {
		out = append(out, rows[i].ID)
	}
	return out, nil
}

// RetractMessage records the retraction of message id by by at at, once.
// It reports whether this call retracted it (false: it already was).
func (tx *Tx) RetractMessage(ctx context.Context, id, by string, at time.Time) (bool, error) {
	n, err := tx.exec(ctx, `INSERT INTO message_retraction (message_id, retracted_by, retracted_at) VALUES (?, ?, ?) ON CONFLICT (message_id) DO NOTHING`,
		id, by, UTC(at))
	if err != nil {
		return false, fmt.Errorf("retract message: %w", err)
	}
	return n == 1, nil
}

// MessageRecordIDs returns, per message, the records made from it that
// scope reads (a chart record a care worker cannot read is not named to
// them), oldest first.
func (tx *Tx) MessageRecordIDs(ctx context.Context, scope care.RecordScope, messageIDs []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(messageIDs) == 0 {
		return out, nil
	}
	reads, readsArgs := readsSQL(scope)
	var rows []struct {
		ID     string `db:"id"`
		Source string `db:"source_message_id"`
	}
	args := append([]any{jsonList(messageIDs)}, readsArgs...)
	if err := tx.sel(ctx, &rows, `SELECT r.id, r.source_message_id FROM record r WHERE r.source_message_id IN `+tx.inList()+` AND `+reads+`
		ORDER BY r.created_at, r.id`, args...); err != nil {
		return nil, fmt.Errorf("records of messages: %w", err)
	}
	for _, r := range rows {
		out[r.Source] = append(out[r.Source], r.ID)
	}
	return out, nil
}

// MessageReadMark is one forward move of a member's read pointer.
type MessageReadMark struct {
	UserID  string    `db:"user_id"`
	UpToAt  time.Time `db:"up_to_at"`
	UpToID  string    `db:"up_to_id"`
	ReadAt  time.Time `db:"read_at"`
	Current bool      `db:"-"`
}

// Key is the position the mark reached.
func (r MessageReadMark) Key() MessageKey { return MessageKey{CreatedAt: r.UpToAt, ID: r.UpToID} }

// MessageReadPointer returns userID's read pointer in patientID's channel
// (ok false when they never read it).
func (tx *Tx) MessageReadPointer(ctx context.Context, patientID, userID string) (MessageKey, bool, error) {
	var rows []MessageReadMark
	err := tx.sel(ctx, &rows, `SELECT user_id, up_to_at, up_to_id, read_at FROM message_read WHERE patient_id = ? AND user_id = ?
		ORDER BY up_to_at DESC, up_to_id DESC LIMIT 1`, patientID, userID)
	if err != nil || len(rows) == 0 {
		return MessageKey{}, false, err
	}
	return MessageKey{CreatedAt: rows[0].UpToAt.UTC(), ID: rows[0].UpToID}, true, nil
}

// MarkMessagesRead moves userID's read pointer in patientID's channel to
// upTo if that is forward, and reports whether it moved.
func (tx *Tx) MarkMessagesRead(ctx context.Context, patientID, userID string, upTo MessageKey, at time.Time) (bool, error) {
	cur, ok, err := tx.MessageReadPointer(ctx, patientID, userID)
	if err != nil {
		return false, err
	}
	if ok && !upTo.After(cur) {
		return false, nil
	}
	n, err := tx.exec(ctx, `INSERT INTO message_read (patient_id, user_id, up_to_at, up_to_id, read_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (patient_id, user_id, up_to_at, up_to_id) DO NOTHING`, patientID, userID, UTC(upTo.CreatedAt), upTo.ID, UTC(at))
	if err != nil {
		return false, fmt.Errorf("mark messages read: %w", err)
	}
	return n == 1, nil
}

// MessageReadMarks returns the read marks of patientID's channel that
// reach oldest or beyond: enough to tell, for every message from oldest
// on, who read it and when (the first mark at or past it).
func (tx *Tx) MessageReadMarks(ctx context.Context, patientID string, oldest MessageKey) ([]MessageReadMark, error) {
	out := []MessageReadMark{}
	err := tx.sel(ctx, &out, `SELECT user_id, up_to_at, up_to_id, read_at FROM message_read
		WHERE patient_id = ? AND (up_to_at, up_to_id) >= (?, ?) ORDER BY read_at, user_id`, patientID, UTC(oldest.CreatedAt), oldest.ID)
	if err != nil {
		return nil, fmt.Errorf("message read marks: %w", err)
	}
	for i := range out {
		out[i].UpToAt, out[i].ReadAt = out[i].UpToAt.UTC(), out[i].ReadAt.UTC()
	}
	return out, nil
}

// MessageUnread is what a member has not read of one patient's channel.
type MessageUnread struct {
	Messages int // by others
	Mentions int // of those, the ones mentioning the member
}

// MessageUnreadCounts counts, per patient of patientIDs, the messages by
// others after userID's read pointer, written since userID's current
// membership of the team began and not retracted, and of those the ones
// mentioning userID. Patients with nothing unread are left out.
func (tx *Tx) MessageUnreadCounts(ctx context.Context, userID string, patientIDs []string) (map[string]MessageUnread, error) {
	out := map[string]MessageUnread{}
	if len(patientIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		PatientID string `db:"patient_id"`
		Messages  int    `db:"messages"`
		Mentions  int    `db:"mentions"`
	}
	err := tx.sel(ctx, &rows, `SELECT m.patient_id, COUNT(*) AS messages,
			SUM(CASE WHEN EXISTS (SELECT 1 FROM message_mention mm WHERE mm.message_id = m.id AND mm.user_id = ?) THEN 1 ELSE 0 END) AS mentions
		FROM message m
		JOIN team_member tm ON tm.patient_id = m.patient_id AND tm.user_id = ? AND tm.removed_at IS NULL
		LEFT JOIN (SELECT r.patient_id, MAX(r.up_to_at) AS up_to_at FROM message_read r WHERE r.user_id = ? GROUP BY r.patient_id) p
			ON p.patient_id = m.patient_id
		WHERE m.patient_id IN `+tx.inList()+` AND m.author_id <> ? AND m.created_at >= tm.added_at
		  AND NOT EXISTS (SELECT 1 FROM message_retraction x WHERE x.message_id = m.id)
		  AND (p.up_to_at IS NULL OR m.created_at > p.up_to_at
		       OR (m.created_at = p.up_to_at AND m.id > (SELECT MAX(r2.up_to_id) FROM message_read r2
		           WHERE r2.patient_id = m.patient_id AND r2.user_id = ? AND r2.up_to_at = p.up_to_at)))
		GROUP BY m.patient_id`, userID, userID, userID, jsonList(patientIDs), userID, userID)
	if err != nil {
		return nil, fmt.Errorf("message unread counts: %w", err)
	}
	for _, r := range rows {
		out[r.PatientID] = MessageUnread{Messages: r.Messages, Mentions: r.Mentions}
	}
	return out, nil
}

// MentionsOf returns up to limit messages of the given patients that
// mention userID, newest first, before before when set.
func (tx *Tx) MentionsOf(ctx context.Context, userID string, patientIDs []string, before *MessageKey, limit int) ([]Message, error) {
	ms := []Message{}
	if len(patientIDs) == 0 {
		return ms, nil
	}
	where := []string{"m.id IN (SELECT mm.message_id FROM message_mention mm WHERE mm.user_id = ?)", "m.patient_id IN " + tx.inList()}
	args := []any{userID, jsonList(patientIDs)}
	if before != nil {
		where = append(where, "(m.created_at, m.id) < (?, ?)")
		args = append(args, UTC(before.CreatedAt), before.ID)
	}
	err := tx.sel(ctx, &ms, `SELECT `+messageColumns+messageFrom+` WHERE `+strings.Join(where, " AND ")+`
		ORDER BY m.created_at DESC, m.id DESC`+limitSQL(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("mentions: %w", err)
	}
	if len(ms) > limit {
		ms = ms[:limit]
	}
	return ms, tx.fillMessages(ctx, ms)
}

// MessageAudience returns the members of patientID's team who read its
// channel now: active accounts on the team while a consent is active (the
// shared level, care.PatientAccess), with their push subscriptions.
func (tx *Tx) MessageAudience(ctx context.Context, patientID string) (RecordAudience, error) {
	var users []string
	err := tx.sel(ctx, &users, `SELECT t.user_id FROM team_member t JOIN app_user u ON u.id = t.user_id
		WHERE t.patient_id = ? AND t.removed_at IS NULL AND u.status = ?
		  AND EXISTS (SELECT 1 FROM consent c WHERE c.patient_id = t.patient_id AND c.withdrawn_at IS NULL)`, patientID, care.StatusActive)
	if err != nil {
		return RecordAudience{}, fmt.Errorf("message audience: %w", err)
	}
	slices.Sort(users)
	users = slices.Compact(users)
	subs, err := tx.PushSubscriptionsOf(ctx, users)
	if err != nil {
		return RecordAudience{}, err
	}
	if users == nil {
		users = []string{}
	}
	return RecordAudience{UserIDs: users, Subscriptions: subs}, nil
}

// attachmentMessageCited reports whether a message of a's patient that is
// not retracted cites attachment a (care.AttachmentFacts.Message): a
// retraction takes the photo back from the team (its uploader, the
// author, still reads it).
func (tx *Tx) attachmentMessageCited(ctx context.Context, a Attachment) (bool, error) {
	var n int
	if err := tx.get(ctx, &n, `SELECT COUNT(*) FROM message_citation c JOIN message m ON m.id = c.message_id
		WHERE c.attachment_id = ? AND m.patient_id = ?
		  AND NOT EXISTS (SELECT 1 FROM message_retraction x WHERE x.message_id = m.id)`, a.ID, a.PatientID); err != nil {
		return false, fmt.Errorf("message citations: %w", err)
	}
	return n > 0, nil
}
