package api

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// patientOfID finds the patient of an entity by id (store.ErrNotFound when
// there is none).
type patientOfID func(ctx context.Context, tx *store.Tx, id string) (string, error)

// patientRefs are the request body fields, by JSON name, that name an
// entity of a patient, with how to find that entity's patient. Every id
// such a field carries must belong to the patient the operation is about
// (checkPatientRefs). Fields that name users, facilities or devices are
// checked by their own rules (team membership, staff of the facility).
var patientRefs = map[string]patientOfID{
	"visit_id":       visitPatientOf,
	"record_id":      recordPatientOf,
	"attachment_id":  attachmentPatientOf,
	"attachment_ids": attachmentPatientOf,
	// the team channel: the message answered, the message a record is made from
	"reply_to":          messagePatientOf,
	"source_message_id": messagePatientOf,
}

func messagePatientOf(ctx context.Context, tx *store.Tx, id string) (string, error) {
	return tx.MessagePatientID(ctx, id)
}

func visitPatientOf(ctx context.Context, tx *store.Tx, id string) (string, error) {
	return tx.VisitPatientID(ctx, id)
}

func recordPatientOf(ctx context.Context, tx *store.Tx, id string) (string, error) {
	r, err := tx.Record(ctx, id)
	return r.PatientID, err
}

func attachmentPatientOf(ctx context.Context, tx *store.Tx, id string) (string, error) {
	a, err := tx.Attachment(ctx, id)
	return a.PatientID, err
}

// checkPatientRefs checks, inside tx and after the access decision on
// patient patientID, every id that body (a request body struct; embedded
// and nested structs included) carries in a field of patientRefs: each
// must name an entity of that patient. Otherwise the answer is a
// validation error naming the field (attachment_ids[2]), the same whether
// the id is unknown or another patient's: it never tells which. Empty
// ids (an omitted field, "" that unlinks) are not checked.
func checkPatientRefs(ctx context.Context, tx *store.Tx, patientID string, body any) error {
	return walkPatientRefs(ctx, tx, patientID, reflect.ValueOf(body), "")
}

func walkPatientRefs(ctx context.Context, tx *store.Tx, patientID string, v reflect.Value, prefix string) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		if f.Anonymous {
			if err := walkPatientRefs(ctx, tx, patientID, fv, prefix); err != nil {
				return err
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		patientOf, ok := patientRefs[name]
		if !ok {
			if err := walkPatientRefs(ctx, tx, patientID, fv, prefix+name+"."); err != nil {
				return err
			}
			continue
		}
		for fv.Kind() == reflect.Pointer && !fv.IsNil() {
			fv = fv.Elem()
		}
		switch {
		case fv.Kind() == reflect.String:
			if err := samePatient(ctx, tx, patientID, patientOf, prefix+name, fv.String()); err != nil {
				return err
			}
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
			for j := 0; j < fv.Len(); j++ {
				if err := samePatient(ctx, tx, patientID, patientOf, fmt.Sprintf("%s%s[%d]", prefix, name, j), fv.Index(j).String()); err != nil {
					return err
				}
			}
		case fv.Kind() == reflect.Pointer: // nil: not sent
		default:
			return fmt.Errorf("patient reference %s%s is a %s, not an id or a list of ids", prefix, name, fv.Type())
		}
	}
	return nil
}

func samePatient(ctx context.Context, tx *store.Tx, patientID string, patientOf patientOfID, field, id string) error {
	if id == "" {
		return nil
	}
	got, err := patientOf(ctx, tx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && got != patientID) {
		return care.Invalid(field, "must name an entity of this patient")
	}
	return err
}
