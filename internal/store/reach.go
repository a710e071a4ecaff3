package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// The access epoch. Reaches reads, for one user, every fact of the
// caseload that decides access: team membership, the current consent, a
// patient's facility and registrar. A pull reads it on every page, and
// for a nurse of 500 patients that was a quarter of the page's work; so
// the API keeps it per viewer (api/reach.go), and must know, in the same
// read, whether what it kept is still what Reaches would say.
//
// Every write of those facts goes through this package (CreatePatient,
// AddTeamMember, RemoveTeamMember, CreateConsent, WithdrawConsent) and
// each sets, in its own transaction, the setting access_epoch to a fresh
// random token. A reader that sees a token sees every write made before
// it was set and none made after: an answer of Reaches kept under a token
// is the answer for as long as the token stands. The token is random
// rather than counted so that no two states of the database share one,
// not even after a restore from a backup under a running instance. Writes
// that change the account (UpdateUser, MarkDormant) or a facility
// (UpdateFacility) set it too, although the API keys its cache by the
// viewer's account as it reads it on each request as well.
//
// A write of those tables outside these functions must call
// AccessChanged in its transaction.
const accessEpochSetting = "access_epoch"

// AccessChanged sets a fresh access epoch inside tx.
func (tx *Tx) AccessChanged(ctx context.Context) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("access epoch: %w", err)
	}
	tok := hex.EncodeToString(b[:])
	if _, err := tx.exec(ctx, `INSERT INTO setting (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, accessEpochSetting, tok); err != nil {
		return fmt.Errorf("access epoch: %w", err)
	}
	return nil
}

// AccessEpoch returns the access epoch as tx sees it: it changes with
// every write of what Reaches reads. "" when no such write was ever made
// (nothing may be kept under it).
func (tx *Tx) AccessEpoch(ctx context.Context) (string, error) {
	v, err := tx.Setting(ctx, accessEpochSetting)
	if err == ErrNotFound {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("access epoch: %w", err)
	}
	return v, nil
}
