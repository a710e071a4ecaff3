package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

// Push: the app sends its queued mutations; each is applied once, in seq
// order, and answered from the ledger (sync_ledger.go) when resent.

type MutationIn struct {
	ID          string          `json:"id" format:"uuid" doc:"client UUIDv7 of the mutation; the device that sent it gets the same answer again when it resends it (duplicate, with the entity only while the caller may still read it); an id another device sent is rejected"`
	Seq         int64           `json:"seq" minimum:"1" doc:"per-device sequence number, without gaps"`
	Type        string          `json:"type" enum:"record.create,record.amend,record.read,record.confirm,visit.create,visit.update,consent.create,message.create"`
	Args        json.RawMessage `json:"args" doc:"the REST body plus patient_id / record_id / visit_id"`
	BaseVersion *int64          `json:"base_version,omitempty"`
}

type PushInput struct {
	Body struct {
		DeviceID   string       `json:"device_id" format:"uuid"`
		DeviceTime *time.Time   `json:"device_time,omitempty" doc:"the device's clock when it sent this push. The server's clock is authoritative: when the two differ by more than a minute, the times the app took from its own clock (a record's occurred_at) are moved by the difference"`
		Mutations  []MutationIn `json:"mutations" maxItems:"500"`
	}
}

type MutationResult struct {
	ID      string   `json:"id"`
	Status  string   `json:"status" enum:"applied,duplicate,conflict,rejected,retry"`
	Entity  any      `json:"entity,omitempty" doc:"the entity after the mutation, or the current one on conflict; on duplicate, the entity as the first answer showed it (the version the mutation made, or on conflict the version then current)"`
	Problem *Problem `json:"problem,omitempty"`
	// FirstStatus tells a device what a mutation it sends again came to the
	// first time, so that a lost answer to a conflict or a refusal is not
	// taken for an applied change (and the device's change dropped).
	FirstStatus string `json:"first_status,omitempty" enum:"applied,conflict,rejected" doc:"on duplicate: the status of the first answer (applied, conflict or rejected); the app handles the duplicate as that"`
}

type PushOutput struct {
	Body struct {
		Results []MutationResult `json:"results"`
	}
}

// maxClockSkew is how far a device's clock may be off before the times it
// took from that clock are corrected: beyond network delays, well within
// what a wrong time zone or a flat clock battery does.
const maxClockSkew = time.Minute

type clockSkewKey struct{}

// deviceTime converts a time the app read from its own clock to server
// time, for a mutation of a push whose device clock was off (see
// PushInput's device_time). REST calls are made online and are not moved.
func deviceTime(ctx context.Context, t time.Time) time.Time {
	if skew, ok := ctx.Value(clockSkewKey{}).(time.Duration); ok {
		return t.Add(skew)
	}
	return t
}

// mutation is one mutation type: the REST operation it runs and the arg
// that carries the id REST has in its path.
type mutation struct {
	// pathArg is patient_id, record_id or visit_id.
	pathArg string
	// apply runs it (ctx carries the transaction) and answers the entity
	// after the change and which entity that is.
	apply func(ctx context.Context, m MutationIn) (any, entityRef, error)
	// answer rebuilds the entity of its answer for a resend.
	answer answerLoader
}

// syncPush applies a device's mutations in seq order, each in its own
// savepoint inside one transaction together with its ledger row and the
// device's sequence number, so an answered mutation is never applied twice
// and a crash loses nothing that was answered.
func (s *Server) syncPush(ctx context.Context, in *PushInput) (*PushOutput, error) {
	p, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	ctx = withPrincipal(ctx, p)
	if in.Body.DeviceTime != nil {
		if skew := s.now().Sub(*in.Body.DeviceTime); skew > maxClockSkew || skew < -maxClockSkew {
			ctx = context.WithValue(ctx, clockSkewKey{}, skew)
		}
	}
	muts := append([]MutationIn(nil), in.Body.Mutations...)
	sort.SliceStable(muts, func(i, j int) bool { return muts[i].Seq < muts[j].Seq })
	results := map[string]MutationResult{}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		dev, err := s.device(ctx, tx, p, in.Body.DeviceID)
		if err != nil {
			return err
		}
		next := dev.LastSeq + 1
		for i, m := range muts {
			if i > 0 && muts[i-1].Seq == m.Seq {
				return care.Invalid("mutations", "two mutations with seq %d", m.Seq)
			}
			prev, usedElsewhere, err := tx.LedgerLookup(ctx, dev.ID, m.ID)
			if err == nil {
				if results[m.ID], err = s.resent(ctx, tx, p, prev); err != nil {
					return err
				}
				continue
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if m.Seq < next {
				prob := newProblem(ctx, care.CodeValidation, &huma.ErrorDetail{Location: "seq", Message: "sequence number already used by another mutation"})
				results[m.ID] = MutationResult{ID: m.ID, Status: "rejected", Problem: prob}
				if err := s.auditRefused(ctx, tx, p, m, errSeqUsed); err != nil {
					return err
				}
				continue
			}
			if m.Seq > next {
				return &care.Error{Code: care.CodeSequenceGap, Detail: fmt.Sprintf("expected seq %d, got %d", next, m.Seq)}
			}
			res, stop := s.applyMutation(ctx, tx, p, dev, m, usedElsewhere)
			if stop {
				results[m.ID] = res
				break
			}
			results[m.ID] = res
			next++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &PushOutput{}
	out.Body.Results = make([]MutationResult, 0, len(in.Body.Mutations))
	for _, m := range in.Body.Mutations {
		r, ok := results[m.ID]
		if !ok {
			r = MutationResult{ID: m.ID, Status: "retry"}
		}
		out.Body.Results = append(out.Body.Results, r)
	}
	return out, nil
}

// applyMutation runs one mutation in a savepoint and records its answer.
// stop is true when the mutation must be retried later: nothing after it
// may overtake it. A mutation id that another device sent (used, read
// with the device's own ledger entry in one query: store.LedgerLookup) is
// refused without running: the ledger answers each device only its own
// mutations.
func (s *Server) applyMutation(ctx context.Context, tx *store.Tx, p *Principal, dev store.Device, m MutationIn, used bool) (res MutationResult, stop bool) {
	res = MutationResult{ID: m.ID}
	retry := MutationResult{ID: m.ID, Status: "retry"}
	var err error
	var entity any
	var ref entityRef
	if used {
		err = errMutationIDUsed
	} else {
		apply, ok := s.mutations[m.Type]
		err = tx.Savepoint(ctx, func() error {
			if !ok {
				return care.Invalid("type", "unknown mutation type %q", m.Type)
			}
			var err error
			entity, ref, err = apply.apply(store.WithTx(ctx, tx), m)
			return err
		})
	}
	var conflict *conflictWith
	var ce *care.Error
	var se huma.StatusError
	switch {
	case err == nil:
		res.Status, res.Entity = "applied", entity
	case errors.As(err, &conflict):
		res.Status, res.Entity = "conflict", conflict.current
		res.Problem = newProblem(ctx, care.CodeConflict)
		if r, ok := conflict.current.(referent); ok {
			ref = r.ref()
		}
	case errors.Is(err, errMutationIDUsed):
		res.Status = "rejected"
		res.Problem = newProblem(ctx, care.CodeValidation, &huma.ErrorDetail{Location: "id", Message: "this mutation id was sent by another device; send the change with a new id"})
	case errors.As(err, &ce), errors.As(err, &se) && se.GetStatus() < 500:
		res.Status = "rejected"
		if perr, ok := s.problem(ctx, err).(*Problem); ok {
			res.Problem = perr
		} else {
			res.Problem = newProblem(ctx, care.CodeValidation)
		}
	default:
		s.log.ErrorContext(ctx, "mutation failed", "request_id", requestID(ctx), "type", m.Type, "err", err)
		return retry, true
	}
	if res.Status == "rejected" {
		// A refusal's own audit event went with the savepoint: keep one,
		// under the patient the mutation names.
		if aerr := s.auditRefused(ctx, tx, p, m, err); aerr != nil {
			s.log.ErrorContext(ctx, "audit refused mutation", "request_id", requestID(ctx), "err", aerr)
			return retry, true
		}
	}
	// The answer, and the device's sequence number moved past it.
	e := ledgerEntry(dev.ID, m, res, ref, s.now())
	if err := tx.AppendLedger(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "ledger write failed", "request_id", requestID(ctx), "err", err)
		return retry, true
	}
	return res, false
}

// mutationFor adapts a REST handler to a sync mutation: the handler's
// input is filled from the mutation's args (setPath puts the path id read
// from arg pathArg, the body is the rest), the body is checked against the
// same schema huma enforces over HTTP, and the handler runs inside the
// mutation's transaction (carried by ctx). answer picks the entity of the
// handler's output to send back.
func mutationFor[I, O any](h func(context.Context, *I) (*O, error), pathArg string, setPath func(in *I, id string), answer func(*O) (any, entityRef)) mutation {
	// A ModelValidator keeps state while it validates: one per concurrent
	// mutation (on PostgreSQL mutations of different pushes run at once).
	validators := sync.Pool{New: func() any { return huma.NewModelValidator() }}
	bodyField, hasBody := reflect.TypeFor[I]().FieldByName("Body")
	apply := func(ctx context.Context, m MutationIn) (any, entityRef, error) {
		in := new(I)
		if hasBody {
			var raw any
			if err := json.Unmarshal(m.Args, &raw); err != nil {
				return nil, entityRef{}, care.Invalid("args", "args must be a JSON object")
			}
			if obj, ok := raw.(map[string]any); ok {
				// The mutation's base_version stands for the body's.
				if _, has := obj["base_version"]; !has && m.BaseVersion != nil && hasJSONField(bodyField.Type, "base_version") {
					obj["base_version"] = *m.BaseVersion
				}
				// The ids that REST carries in the path travel in args.
				for _, k := range []string{"patient_id", "record_id", "visit_id"} {
					if !hasJSONField(bodyField.Type, k) {
						delete(obj, k)
					}
				}
			}
			// The errors live in the validator: read them before it goes back.
			validator := validators.Get().(*huma.ModelValidator)
			errs := validator.Validate(bodyField.Type, raw)
			details := make([]*huma.ErrorDetail, 0, len(errs))
			for _, e := range errs {
				if d, ok := e.(huma.ErrorDetailer); ok {
					details = append(details, d.ErrorDetail())
				}
			}
			validators.Put(validator)
			if len(errs) > 0 {
				return nil, entityRef{}, &validationError{details: details}
			}
			b, _ := json.Marshal(raw)
			body := reflect.ValueOf(in).Elem().FieldByName("Body")
			if err := json.Unmarshal(b, body.Addr().Interface()); err != nil {
				return nil, entityRef{}, care.Invalid("args", "args do not match the operation")
			}
		}
		id, err := idArg(m, pathArg)
		if err != nil {
			return nil, entityRef{}, err
		}
		setPath(in, id)
		if err := checkDates(in); err != nil {
			return nil, entityRef{}, err
		}
		if err := checkText(in); err != nil {
			return nil, entityRef{}, err
		}
		out, err := h(ctx, in)
		if err != nil {
			return nil, entityRef{}, err
		}
		v, ref := answer(out)
		return v, ref, nil
	}
	return mutation{pathArg: pathArg, apply: apply}
}

// hasJSONField reports whether struct type t (or a struct it embeds) has a
// field serialised as name.
func hasJSONField(t reflect.Type, name string) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && hasJSONField(f.Type, name) {
			return true
		}
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n == name {
			return true
		}
	}
	return false
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func newSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// validationError is a schema failure of mutation args, shown like huma's.
type validationError struct{ details []*huma.ErrorDetail }

func (e *validationError) Error() string  { return "validation failed" }
func (e *validationError) GetStatus() int { return 422 }

// idArg reads a UUID argument (patient_id, record_id, visit_id) of a mutation.
func idArg(m MutationIn, name string) (string, error) {
	var args map[string]any
	if err := json.Unmarshal(m.Args, &args); err != nil {
		return "", care.Invalid("args", "args must be a JSON object")
	}
	v, _ := args[name].(string)
	if !uuidPattern.MatchString(v) {
		return "", care.Invalid("args."+name, "%s must be a UUID", name)
	}
	return v, nil
}
