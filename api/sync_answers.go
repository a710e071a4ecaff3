package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"tsunagu/internal/store"
)

// Duplicate answers. The ledger keeps of each answered mutation its status,
// its problem and a reference to the entity its answer showed (kind, id,
// version), never the entity itself: a record's text is stored once, in
// the record. When the device resends the mutation, the entity is rebuilt
// from the rows that hold it by the loader of the mutation's type, in the
// shape the first answer had (the REST shape of that entity).
//
// What a duplicate answer shows: the entity as the mutation left it, i.e.
// as it was answered the first time, even when it has changed since.
//   - A record: the version the mutation made (on a conflict, the version
//     that was current), with the versions before it; a confirmation or a
//     read receipt counts only if it was made by the time of the first
//     answer. An amendment made later is not in it: the app pulls that as
//     any other change, and the answer still says whether the mutation's
//     own amendment was on a stale base (stale_parent of its version).
//   - A visit: the version the mutation made (on a conflict, the one that
//     was current), as the visit history kept it.
//   - A read receipt: when the caller first read the record.
//
// Names (who entered, confirmed or read) are those of the accounts now.
// The answer goes only to the device that sent the mutation, and shows the
// entity only while that device's account may read it now (resent).

// answerLoader rebuilds the entity of an answer from ref, for p, as it was
// at asOf (when the answer was first made); store.ErrNotFound when it is
// gone.
type answerLoader func(ctx context.Context, tx *store.Tx, p *Principal, ref entityRef, asOf time.Time) (any, error)

// answeredBy sets the loader that rebuilds m's answer for a resend. Every
// mutation type has one (TestEveryMutationHasAnAnswerLoader).
func (m mutation) answeredBy(l answerLoader) mutation {
	m.answer = l
	return m
}

// recordAnswer is record ref.ID at version ref.Version, with its history
// up to that version and its readers, as of asOf.
func recordAnswer(ctx context.Context, tx *store.Tx, p *Principal, ref entityRef, asOf time.Time) (any, error) {
	r, err := tx.Record(ctx, ref.ID)
	if err != nil {
		return nil, err
	}
	vs, err := tx.RecordVersions(ctx, ref.ID)
	if err != nil {
		return nil, err
	}
	if ref.Version < 1 || ref.Version > int64(len(vs)) {
		return nil, store.ErrNotFound
	}
	vs = vs[:ref.Version]
	for i := range vs {
		if vs[i].ConfirmedBy != "" && vs[i].ConfirmedAt.After(asOf) {
			vs[i].ConfirmedBy, vs[i].ConfirmedByName, vs[i].ConfirmedAt = "", "", time.Time{}
		}
	}
	all, err := tx.RecordReaders(ctx, ref.ID)
	if err != nil {
		return nil, err
	}
	readers := make([]store.Reader, 0, len(all))
	for _, rd := range all {
		if !rd.ReadAt.After(asOf) {
			readers = append(readers, rd)
		}
	}
	r.CurrentVersion = ref.Version
	return detailOf(r, vs, readers, p), nil
}

// readAnswer is p's read receipt of record ref.ID (the first read stays).
func readAnswer(ctx context.Context, tx *store.Tx, p *Principal, ref entityRef, _ time.Time) (any, error) {
	readers, err := tx.RecordReaders(ctx, ref.ID)
	if err != nil {
		return nil, err
	}
	for _, rd := range readers {
		if rd.UserID == p.User.ID {
			var out MarkReadOutput
			out.Body.RecordID, out.Body.ReadAt = ref.ID, rd.ReadAt
			return out.Body, nil
		}
	}
	return nil, store.ErrNotFound
}

// visitAnswer is visit ref.ID at version ref.Version, as its history kept
// it (every version is kept as the API showed it).
func visitAnswer(ctx context.Context, tx *store.Tx, _ *Principal, ref entityRef, _ time.Time) (any, error) {
	snap, err := tx.VisitSnapshot(ctx, ref.ID, ref.Version)
	if err != nil {
		return nil, err
	}
	var d VisitDetail
	if err := json.Unmarshal([]byte(snap), &d); err != nil {
		return nil, err
	}
	return d, nil
}

// consentAnswer is consent ref.ID as it was at asOf: a withdrawal made
// since (or its closing when a newer consent replaced it) is not part of
// the first answer.
func consentAnswer(ctx context.Context, tx *store.Tx, _ *Principal, ref entityRef, asOf time.Time) (any, error) {
	patientID, err := tx.ConsentPatientID(ctx, ref.ID)
	if err != nil {
		return nil, err
	}
	c, err := tx.Consent(ctx, patientID, ref.ID)
	if err != nil {
		return nil, err
	}
	if c.WithdrawnAt.Valid && c.WithdrawnAt.Time.After(asOf) {
		c.WithdrawnAt, c.WithdrawnBy, c.WithdrawalReason = sql.NullTime{}, sql.NullString{}, sql.NullString{}
	}
	return consentOut(c), nil
}
