package api

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// The mutation ledger: what each device was answered, keyed by device, and
// the devices themselves. A resend is answered from the ledger, and the
// entity in that answer is shown only while the caller may still read it.

// entityRef names the entity a mutation's answer shows: a pull entity
// kind ("record", "visit"), its id, and the version the answer showed (0
// when the answer is not of one version, as a read receipt).
type entityRef struct {
	Kind, ID string
	Version  int64
}

// referent is an answer that knows which entity it shows (the current
// state carried by a conflict).
type referent interface{ ref() entityRef }

func (d RecordDetail) ref() entityRef { return entityRef{Kind: "record", ID: d.ID, Version: d.Version} }
func (d VisitDetail) ref() entityRef  { return entityRef{Kind: "visit", ID: d.ID, Version: d.Version} }

var (
	// errMutationIDUsed refuses a mutation id another device sent.
	errMutationIDUsed = errors.New("mutation id sent by another device")
	// errSeqUsed refuses a new mutation under an answered sequence number.
	errSeqUsed = errors.New("sequence number already used")
)

// ledgerEntry is what the ledger keeps of answer res to mutation m of
// device deviceID: its status, its problem, and a reference to the entity
// it shows (ref), never the entity (sync_answers.go rebuilds it).
func ledgerEntry(deviceID string, m MutationIn, res MutationResult, ref entityRef, at time.Time) store.LedgerEntry {
	e := store.LedgerEntry{DeviceID: deviceID, ID: m.ID, Seq: m.Seq, Type: m.Type, Status: res.Status, AppliedAt: at}
	if res.Problem != nil {
		p := *res.Problem
		p.Current = nil // a conflict's entity is the answer's, by reference
		b, _ := json.Marshal(p)
		e.Problem = string(b)
	}
	if res.Entity != nil {
		e.Entity, e.EntityID, e.EntityVersion = ref.Kind, ref.ID, ref.Version
	}
	return e
}

// resent answers a mutation the device sent before, as duplicate: the
// problem kept with it, and the entity rebuilt by the mutation type's
// loader (sync_answers.go) only if the caller reads that entity now (the
// access decision of today, not of the day it was applied). Showing the
// entity is an audited read; hiding it is an audited refusal. A row
// written before the ledger kept references answers its stored answer,
// under the same rule.
func (s *Server) resent(ctx context.Context, tx *store.Tx, p *Principal, e store.LedgerEntry) (MutationResult, error) {
	if e.Result != "" {
		return s.resentWhole(ctx, tx, p, e)
	}
	r := MutationResult{ID: e.ID, Status: "duplicate", FirstStatus: e.Status}
	if e.Problem != "" {
		var prob Problem
		if err := json.Unmarshal([]byte(e.Problem), &prob); err != nil {
			s.log.ErrorContext(ctx, "ledger problem unreadable", "request_id", requestID(ctx), "err", err)
		} else {
			r.Problem = &prob
		}
	}
	if e.Entity == "" {
		return r, nil
	}
	// A type this build no longer has (TestEveryMutationHasAnAnswerLoader
	// holds every type it has to a loader) answers without its entity.
	load := s.mutations[e.Type].answer
	if load == nil {
		s.log.ErrorContext(ctx, "no answer loader", "request_id", requestID(ctx), "type", e.Type)
		return r, nil
	}
	ref := entityRef{Kind: e.Entity, ID: e.EntityID, Version: e.EntityVersion}
	patientID, visible, err := s.readsNow(ctx, tx, p, ref)
	if err != nil {
		return r, err
	}
	ev := s.event(ctx, p, "sync.duplicate", patientID, e.Entity, e.EntityID)
	if visible {
		v, err := load(ctx, tx, p, ref, e.AppliedAt)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return r, err
		}
		r.Entity = v
	} else {
		ev.Result = audit.ResultDenied
	}
	return r, audit.Append(ctx, tx, ev)
}

// resentWhole answers a row that kept its whole answer (written before
// migration 17), with the entity only if the caller reads it now.
func (s *Server) resentWhole(ctx context.Context, tx *store.Tx, p *Principal, e store.LedgerEntry) (MutationResult, error) {
	r := storedResult(e)
	if r.Entity == nil {
		return r, nil
	}
	patientID, visible, err := s.readsNow(ctx, tx, p, entityRef{Kind: e.Entity, ID: e.EntityID})
	if err != nil {
		return r, err
	}
	ev := s.event(ctx, p, "sync.duplicate", patientID, e.Entity, e.EntityID)
	if !visible {
		r.Entity = nil
		if r.Problem != nil {
			r.Problem.Current = nil
		}
		ev.Result = audit.ResultDenied
	}
	return r, audit.Append(ctx, tx, ev)
}

// readsNow decides whether p may read entity ref now, with the loader the
// pull uses for its kind (chart kinds and facility disclosure included),
// and returns the entity's patient ("" when unknown). An entity without a
// kind (an answer stored before the ledger named it) is never shown.
func (s *Server) readsNow(ctx context.Context, tx *store.Tx, p *Principal, ref entityRef) (string, bool, error) {
	kind, ok := s.entities[ref.Kind]
	if !ok || kind.patientOf == nil || ref.ID == "" {
		return "", false, nil
	}
	patientID, err := kind.patientOf(ctx, tx, ref.ID)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	sc, err := s.access(ctx, tx, p, patientID, care.Shared, false)
	if err != nil {
		var ce *care.Error
		if errors.As(err, &ce) {
			return patientID, false, nil
		}
		return patientID, false, err
	}
	seen := false
	err = kind.load(ctx, tx, p, sc, patientID, []string{ref.ID}, func(id string, _ any) { seen = seen || id == ref.ID })
	return patientID, seen, err
}

// mutationPatient is the patient a mutation names: its patient_id, or
// the patient of the record or visit it names ("" when the type is unknown
// or the entity does not exist). The lookup decides nothing about access.
func (s *Server) mutationPatient(ctx context.Context, tx *store.Tx, m MutationIn) (string, error) {
	mu, ok := s.mutations[m.Type]
	if !ok {
		return "", nil
	}
	id, err := idArg(m, mu.pathArg)
	if err != nil {
		return "", nil
	}
	if mu.pathArg == "patient_id" {
		return id, nil
	}
	kind, ok := s.entities[strings.TrimSuffix(mu.pathArg, "_id")]
	if !ok || kind.patientOf == nil {
		return "", nil
	}
	pid, err := kind.patientOf(ctx, tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return pid, err
}

// auditRefused records a refused mutation under the patient it names, so
// that the refusal is in that patient's access log: denied for an access
// refusal (and an id of another device), failed for any other.
func (s *Server) auditRefused(ctx context.Context, tx *store.Tx, p *Principal, m MutationIn, err error) error {
	pid, perr := s.mutationPatient(ctx, tx, m)
	if perr != nil {
		return perr
	}
	e := s.event(ctx, p, "sync."+m.Type, pid, "mutation", m.ID)
	e.Result = audit.ResultFailed
	if errors.Is(err, care.ErrNotFound) || errors.Is(err, care.ErrForbidden) || errors.Is(err, care.ErrChartForbidden) || errors.Is(err, errMutationIDUsed) {
		e.Result = audit.ResultDenied
	}
	return audit.Append(ctx, tx, e)
}

// storedResult is the whole answer a row written before migration 17 kept.
func storedResult(e store.LedgerEntry) MutationResult {
	var r MutationResult
	if err := json.Unmarshal([]byte(e.Result), &r); err != nil {
		return MutationResult{ID: e.ID, Status: "duplicate", FirstStatus: e.Status}
	}
	r.Status, r.FirstStatus = "duplicate", e.Status
	return r
}

// device returns the caller's device, registering it on first use. A device
// of another user, or a revoked one, is refused.
func (s *Server) device(ctx context.Context, tx *store.Tx, p *Principal, id string) (store.Device, error) {
	d, err := tx.Device(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		now := s.now()
		d = store.Device{ID: id, UserID: p.User.ID, Secret: newSecret(), SecretExpiresAt: now.Add(s.opt.DeviceSecretTTL), CreatedAt: now, LastSeenAt: now}
		// Another request may register the same new device at the same
		// moment: the row kept is checked like an existing one.
		d, err = tx.CreateDevice(ctx, d)
	}
	if err != nil {
		return d, err
	}
	if d.UserID != p.User.ID || d.RevokedAt.Valid {
		return d, &care.Error{Code: care.CodeDeviceRevoked}
	}
	return d, nil
}
