package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// DeviceHeader names the installed app on each of its requests, as
// "<device id>.<proof>", where proof is DeviceProof of the device's secret.
// When the request has no usable session, it lets the server tell the app of
// a revoked, suspended or dormant account (or a revoked device) to erase the
// data it holds: the session is gone by then, but the device is not.
const DeviceHeader = "X-Tsunagu-Device"

// DeviceProof is what the app sends to show it holds its device's secret
// (the server half of its data key, given by POST /devices): the unpadded
// base64url SHA-256 of a fixed label and the secret as the server gave it.
// It is not the secret, so the header never carries the key.
func DeviceProof(secret string) string {
	h := sha256.Sum256([]byte("tsunagu/device-proof/v1\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func deviceHeader(ctx context.Context) string { v, _ := ctx.Value(keyDevice).(string); return v }

// wipeOrRefuse answers a request that has no usable session with refuse —
// unless it names its device with a valid proof and that device must be
// wiped (care.WipeDevice): then the answer is device_wipe, and the app
// erases its data at once. Without a header, with an unknown device id or a
// wrong proof, or for an account that is still active, the answer is refuse
// unchanged: a device id alone tells nothing about its account.
func (s *Server) wipeOrRefuse(ctx context.Context, refuse error) error {
	id, proof, ok := strings.Cut(deviceHeader(ctx), ".")
	if !ok || id == "" || proof == "" {
		return refuse
	}
	var d store.Device
	var u store.User
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if d, err = tx.Device(ctx, id); err != nil {
			return err
		}
		u, err = tx.User(ctx, d.UserID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return refuse
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(proof), []byte(DeviceProof(d.Secret))) != 1 {
		return refuse
	}
	if !care.WipeDevice(d.RevokedAt.Valid, u.Status, u.LastActiveAt, s.now(), s.opt.DormantAfter) {
		return refuse
	}
	e := s.event(ctx, nil, "device.wipe", "", "device", d.ID)
	e.ActorID, e.ActorFacility = u.ID, u.FacilityID.String
	if err := s.db.Write(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, e) }); err != nil {
		return err
	}
	return &care.Error{Code: care.CodeDeviceWipe}
}
