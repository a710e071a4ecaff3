package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"tsunagu/internal/care"
)

// PushSubscription is a browser's Web Push subscription.
type PushSubscription struct {
	ID        string    `db:"id"`
	UserID    string    `db:"user_id"`
	Endpoint  string    `db:"endpoint"`
	P256dh    string    `db:"p256dh"`
	Auth      string    `db:"auth"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// SavePushSubscription registers s, or refreshes the subscription with the
// same endpoint (the app re-registers on every launch, possibly after a
// different user signed in on the device: the endpoint follows the user).
func (tx *Tx) SavePushSubscription(ctx context.Context, s PushSubscription) error {
	n, err := tx.exec(ctx, `UPDATE push_subscription SET user_id = ?, p256dh = ?, auth = ?, updated_at = ? WHERE endpoint = ?`,
		s.UserID, s.P256dh, s.Auth, UTC(s.UpdatedAt), s.Endpoint)
	if err != nil || n > 0 {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO push_subscription (id, user_id, endpoint, p256dh, auth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.UserID, s.Endpoint, s.P256dh, s.Auth, UTC(s.CreatedAt), UTC(s.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert push subscription: %w", err)
	}
	return nil
}

// DeletePushSubscription removes the subscription with endpoint of user userID
// ("" = whoever owns it).
func (tx *Tx) DeletePushSubscription(ctx context.Context, endpoint, userID string) (int64, error) {
	var id string
	err := tx.get(ctx, &id, `SELECT id FROM push_subscription WHERE endpoint = ? AND (user_id = ? OR ? = '')`, endpoint, userID, userID)
	if err == ErrNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return 1, tx.DeletePushSubscriptionByID(ctx, id)
}

// DeletePushSubscriptionByID removes one subscription and its pending pushes.
func (tx *Tx) DeletePushSubscriptionByID(ctx context.Context, id string) error {
	if _, err := tx.exec(ctx, `DELETE FROM outbox WHERE subscription_id = ?`, id); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `DELETE FROM push_subscription WHERE id = ?`, id)
	return err
}

// PushSubscriptionsOf returns the subscriptions of the given users.
func (tx *Tx) PushSubscriptionsOf(ctx context.Context, userIDs []string) ([]PushSubscription, error) {
	out := []PushSubscription{}
	if len(userIDs) == 0 {
		return out, nil
	}
	err := tx.sel(ctx, &out, `SELECT id, user_id, endpoint, p256dh, auth, created_at, updated_at FROM push_subscription WHERE user_id IN `+tx.inList()+` ORDER BY id`, jsonList(userIDs))
	return out, err
}

// NetworkAdminSubscriptions returns the subscriptions of the active
// network administrators (who hear of new misuse alerts).
func (tx *Tx) NetworkAdminSubscriptions(ctx context.Context) ([]PushSubscription, error) {
	out := []PushSubscription{}
	err := tx.sel(ctx, &out, `SELECT s.id, s.user_id, s.endpoint, s.p256dh, s.auth, s.created_at, s.updated_at
		FROM push_subscription s JOIN app_user u ON u.id = s.user_id WHERE u.network_admin = ? AND u.status = ? ORDER BY s.id`, true, care.StatusActive)
	return out, err
}

// RecordAudience is who hears of a change to one record: the members of
// its patient's team who read it, their push subscriptions and their
// notification settings.
type RecordAudience struct {
	UserIDs       []string           // sorted
	Subscriptions []PushSubscription // of those users
	// Settings are NotifySettingsOf every one of UserIDs, read with
	// them, or nil when not read (a message's audience).
	Settings map[string]NotifySettings
}

// Has reports whether userID is in the audience.
func (a RecordAudience) Has(userID string) bool {
	_, found := slices.BinarySearch(a.UserIDs, userID)
	return found
}

// RecordAudience returns the members of record recordID's patient's team
// who read the record now, with their push subscriptions: those whose
// account is active and for whom care.RecordScope.Reads holds at the level
// care.PatientAccess gives them under policy p. That is, on the team under
// an active consent; for a chart kind, also of a clinical profession under
// a full consent, and, when the author's facility discloses shared_only,
// the author or staff of that facility. readsSQL is the same rule for one
// viewer and many records; this is it for one record and many viewers
// (TestRecordAudienceIsTheReadRule holds the three forms together).
//
// It is one query, prepared once per process (the number of clinical
// professions is fixed by configuration): it runs inside every record
// write. An unknown record has no audience.
func (tx *Tx) RecordAudience(ctx context.Context, p care.Policy, recordID string) (RecordAudience, error) {
	clinical := "NULL"
	args := []any{recordID, care.StatusActive, false, care.ConsentFull}
	if n := len(p.ClinicalProfessions); n > 0 {
		clinical = strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
		for _, prof := range p.ClinicalProfessions {
			args = append(args, prof)
		}
	}
	args = append(args, care.DisclosureSharedOnly)
	// r is the one row of the record with what decides for every member:
	// the scope of the patient's active consent, as PatientFacts reads it
	// ('' without one), and the disclosure of the author's facility. Its
	// LIMIT keeps both engines from folding it into the join, which would
	// look the consent up again for every member.
	q := `SELECT t.user_id, COALESCE(np.prefs, '') AS prefs,
			CASE WHEN e.verified_at IS NULL THEN '' ELSE e.address END AS address,
			s.id, s.endpoint, s.p256dh, s.auth, s.created_at, s.updated_at
		FROM (SELECT r.patient_id, r.chart, r.author_id, r.author_facility_id, f.disclosure AS author_disclosure,
				COALESCE((SELECT c.scope FROM consent c WHERE c.patient_id = r.patient_id AND c.withdrawn_at IS NULL
					ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), '') AS consent_scope
			FROM record r JOIN facility f ON f.id = r.author_facility_id WHERE r.id = ? LIMIT 1) r
		JOIN team_member t ON t.patient_id = r.patient_id AND t.removed_at IS NULL
		JOIN app_user u ON u.id = t.user_id
		LEFT JOIN push_subscription s ON s.user_id = t.user_id
		LEFT JOIN notify_pref np ON np.user_id = t.user_id
		LEFT JOIN user_email e ON e.user_id = t.user_id
		WHERE u.status = ? AND r.consent_scope <> ''
		  AND (r.chart = ?
		    OR (r.consent_scope = ? AND u.profession IN (` + clinical + `)
		      AND (r.author_disclosure <> ? OR r.author_id = u.id OR r.author_facility_id = u.facility_id)))`
	var rows []struct {
		UserID    string         `db:"user_id"`
		Prefs     string         `db:"prefs"`
		Address   string         `db:"address"`
		ID        sql.NullString `db:"id"`
		Endpoint  sql.NullString `db:"endpoint"`
		P256dh    sql.NullString `db:"p256dh"`
		Auth      sql.NullString `db:"auth"`
		CreatedAt sql.NullTime   `db:"created_at"`
		UpdatedAt sql.NullTime   `db:"updated_at"`
	}
	if err := tx.sel(ctx, &rows, q, args...); err != nil {
		return RecordAudience{}, fmt.Errorf("record audience: %w", err)
	}
	a := RecordAudience{UserIDs: []string{}, Subscriptions: []PushSubscription{}, Settings: map[string]NotifySettings{}}
	for _, r := range rows {
		a.UserIDs = append(a.UserIDs, r.UserID)
		a.Settings[r.UserID] = NotifySettings{UserID: r.UserID, Prefs: r.Prefs, Address: r.Address}
		if r.ID.Valid {
			a.Subscriptions = append(a.Subscriptions, PushSubscription{ID: r.ID.String, UserID: r.UserID, Endpoint: r.Endpoint.String,
				P256dh: r.P256dh.String, Auth: r.Auth.String, CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time})
		}
	}
	// Sorted here (not by the database, whose collation may differ) for Has.
	slices.Sort(a.UserIDs)
	a.UserIDs = slices.Compact(a.UserIDs)
	return a, nil
}

// OutboxItem is one pending push to one subscription.
type OutboxItem struct {
	ID             string       `db:"id"`
	SubscriptionID string       `db:"subscription_id"`
	Payload        string       `db:"payload"`
	Topic          string       `db:"topic"`
	Urgency        string       `db:"urgency"`
	CreatedAt      time.Time    `db:"created_at"`
	NotBefore      time.Time    `db:"not_before"`
	Attempts       int64        `db:"attempts"`
	ClaimedUntil   sql.NullTime `db:"claimed_until"`
	// From the subscription.
	Endpoint string `db:"endpoint"`
	P256dh   string `db:"p256dh"`
	Auth     string `db:"auth"`
}

// EnqueuePush writes an outbox row (in the transaction of its cause).
func (tx *Tx) EnqueuePush(ctx context.Context, it OutboxItem) error {
	_, err := tx.exec(ctx, `INSERT INTO outbox (id, subscription_id, payload, topic, urgency, created_at, not_before, attempts, claimed_until) VALUES (?, ?, ?, ?, ?, ?, ?, 0, NULL)`,
		it.ID, it.SubscriptionID, it.Payload, it.Topic, it.Urgency, UTC(it.CreatedAt), UTC(it.NotBefore))
	return err
}

// ClaimPushes claims up to limit due outbox rows until claimUntil, so that
// several workers (several instances) never send one row at the same time.
// On PostgreSQL the candidates are locked with FOR UPDATE SKIP LOCKED. Rows
// whose claim has run out (their worker died or overran) are due again.
// Each returned item's ClaimedUntil is claimUntil: the claim's token for
// RetryPush.
func (tx *Tx) ClaimPushes(ctx context.Context, now, claimUntil time.Time, limit int) ([]OutboxItem, error) {
	ids := []string{}
	q := `SELECT id FROM outbox WHERE not_before <= ? AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY not_before, id LIMIT ?`
	if tx.engine == Postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	if err := tx.sel(ctx, &ids, q, UTC(now), UTC(now), limit); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if _, err := tx.exec(ctx, `UPDATE outbox SET claimed_until = ?, attempts = attempts + 1 WHERE id IN `+tx.inList(), UTC(claimUntil), jsonList(ids)); err != nil {
		return nil, err
	}
	out := []OutboxItem{}
	err := tx.sel(ctx, &out, `SELECT o.id, o.subscription_id, o.payload, o.topic, o.urgency, o.created_at, o.not_before, o.attempts, o.claimed_until,
		s.endpoint, s.p256dh, s.auth FROM outbox o JOIN push_subscription s ON s.id = o.subscription_id WHERE o.id IN `+tx.inList()+` ORDER BY o.not_before, o.id`, jsonList(ids))
	for i := range out {
		out[i].ClaimedUntil = sql.NullTime{Time: UTC(claimUntil), Valid: true}
	}
	return out, err
}

// CompletePush removes a delivered (or undeliverable) outbox row.
func (tx *Tx) CompletePush(ctx context.Context, id string) error {
	_, err := tx.exec(ctx, `DELETE FROM outbox WHERE id = ?`, id)
	return err
}

// RetryPush releases an outbox row claimed until claimedUntil, to be tried
// again at notBefore. A row claimed anew since (the first claim ran out and
// another worker holds it now) is left alone.
func (tx *Tx) RetryPush(ctx context.Context, id string, claimedUntil, notBefore time.Time) error {
	_, err := tx.exec(ctx, `UPDATE outbox SET not_before = ?, claimed_until = NULL WHERE id = ? AND claimed_until = ?`,
		UTC(notBefore), id, UTC(claimedUntil))
	return err
}

// PendingPushes counts outbox rows.
func (tx *Tx) PendingPushes(ctx context.Context) (int, error) {
	var n int
	err := tx.get(ctx, &n, `SELECT COUNT(*) FROM outbox`)
	return n, err
}
