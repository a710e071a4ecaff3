package api

import (
	"context"
	"encoding/json"
	"errors"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// The mutation ledger: what each device was answered, and the devices
// themselves.

func storedResult(e store.LedgerEntry) MutationResult {
	var r MutationResult
	if err := json.Unmarshal([]byte(e.Result), &r); err != nil {
		return MutationResult{ID: e.ID, Status: "duplicate"}
	}
	r.Status = "duplicate"
	return r
}

// device returns the caller's device, registering it on first use. A device
// of another user, or a revoked one, is refused.
func (s *Server) device(ctx context.Context, tx *store.Tx, p *Principal, id string) (store.Device, error) {
	d, err := tx.Device(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		now := s.now()
		d = store.Device{ID: id, UserID: p.User.ID, Secret: newSecret(), SecretExpiresAt: now.Add(s.opt.DeviceSecretTTL), CreatedAt: now, LastSeenAt: now}
		if err := tx.CreateDevice(ctx, d); err != nil {
			return d, err
		}
		return d, nil
	}
	if err != nil {
		return d, err
	}
	if d.UserID != p.User.ID || d.RevokedAt.Valid {
		return d, &care.Error{Code: care.CodeDeviceRevoked}
	}
	return d, nil
}
