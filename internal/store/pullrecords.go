package store

import (
	"context"
	"fmt"

	"tsunagu/internal/care"
)

// RecordRef is what a pull needs to know of a record before its content:
// the key of its current form and the viewer's read state.
type RecordRef struct {
	Key       RecordKey
	ReadCount int
	ReadByMe  bool
}

// RecordRefsByIDs returns the refs of those of the given records that
// scope reads (ids it leaves out are gone or hidden), without their
// content: the pull keeps each record's JSON by key and decodes only those
// it has not (RecordsByIDs), so most of a page never copies a record.
func (tx *Tx) RecordRefsByIDs(ctx context.Context, scope care.RecordScope, ids []string) ([]RecordRef, error) {
	stubs, err := tx.recordStubsByIDs(ctx, scope, ids)
	if err != nil {
		return nil, err
	}
	out := make([]RecordRef, len(stubs))
	for i, s := range stubs {
		out[i].Key = s.key()
		out[i].ReadCount, out[i].ReadByMe = readState(s.ReadState)
	}
	return out, nil
}

// recordStubsByIDs returns the stubs of those of the records that scope
// reads: those ChangesSince read with their changes in this transaction
// as they are, the others in one query.
func (tx *Tx) recordStubsByIDs(ctx context.Context, scope care.RecordScope, ids []string) ([]recordStub, error) {
	stubs := make([]recordStub, 0, len(ids))
	var rest []string
	for _, id := range ids {
		if st, ok := tx.pulledFor(scope, id); ok {
			stubs = append(stubs, st)
		} else {
			rest = append(rest, id)
		}
	}
	if len(rest) > 0 {
		reads, readsArgs := readsSQL(scope)
		query := `SELECT ` + tx.stubColumns() + ` FROM record r WHERE r.id IN ` + tx.inList() + ` AND ` + reads
		more, err := tx.stubs(ctx, len(rest), query, append([]any{scope.ViewerID, jsonList(rest)}, readsArgs...)...)
		if err != nil {
			return nil, fmt.Errorf("records by ids: %w", err)
		}
		stubs = append(stubs, more...)
	}
	return stubs, nil
}
