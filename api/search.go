package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"tsunagu/internal/audit"
	"tsunagu/internal/care"
	"tsunagu/internal/store"
)

type SearchRecordsInput struct {
	Q         string `query:"q" maxLength:"400" doc:"one to five words separated by spaces, each at least 2 characters (kana and kanji as typed; full- and half-width forms match alike); a record must hold every word"`
	PatientID string `query:"patient_id" format:"uuid" doc:"search this patient's records only; absent: every patient the caller reaches"`
	Cursor    string `query:"cursor" maxLength:"200" doc:"the next cursor of the previous page"`
	Limit     int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

// SearchHitOut is a record found by a search with the line that matched.
type SearchHitOut struct {
	RecordOut
	Snippet []care.SnippetPart `json:"snippet" doc:"the line of the record's text around the first word found, normalised (NFKC), cut to about 80 characters; hit marks each word of the query"`
}

type SearchRecordsOutput struct {
	Body struct {
		Records []SearchHitOut `json:"records" doc:"newest first (occurred_at, id)"`
		Next    string         `json:"next,omitempty" doc:"cursor of the next (older) page; absent on the last page"`
	}
}

// searchRecords finds the current versions of the records the caller reads
// that hold every word of q, in one patient or across the caller's
// patients, newest first in keyset pages. The read rule is the timeline's,
// applied in SQL (store.SearchRecords). Each patient on the page is an
// audited view (record.search); a search across patients is audited once
// more without a patient. The audit detail holds counts, never the query.
func (s *Server) searchRecords(ctx context.Context, in *SearchRecordsInput) (*SearchRecordsOutput, error) {
	pr, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	words, err := care.SearchWords(in.Q)
	var ce *care.Error
	if errors.As(err, &ce) {
		return nil, care.Invalid("query.q", "%s", ce.Detail)
	}
	if in.PatientID != "" && !isUUID(in.PatientID) {
		return nil, care.Invalid("query.patient_id", "must be a UUID")
	}
	q := store.SearchQuery{Viewer: pr.Viewer, Words: words, Limit: in.Limit + 1}
	if in.Cursor != "" {
		k, ok := decodeCursor(in.Cursor)
		if !ok {
			return nil, care.Invalid("query.cursor", "not a cursor of this search")
		}
		q.Before = &k
	}
	var items []store.TimelineItem
	var refused error
	patients := 0
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		if in.PatientID != "" {
			sc, err := s.access(ctx, tx, pr, in.PatientID, care.Shared, false)
			if err != nil {
				refused = err
				return err
			}
			if sc.Level >= care.Chart {
				q.ChartPatients = []string{in.PatientID}
			} else {
				q.SharedPatients = []string{in.PatientID}
			}
		} else {
			c, err := s.caseloadLevels(ctx, tx, pr)
			if err != nil {
				return err
			}
			q.ChartPatients, q.SharedPatients = c.chart, c.shared
		}
		patients = len(q.ChartPatients) + len(q.SharedPatients)
		items, err = tx.SearchRecords(ctx, q)
		return err
	})
	if refused != nil {
		return nil, s.denied(ctx, pr, "record.search", in.PatientID, "record", "", refused)
	}
	if err != nil {
		return nil, err
	}
	out := &SearchRecordsOutput{}
	out.Body.Records = []SearchHitOut{}
	if len(items) > in.Limit {
		items = items[:in.Limit]
		last := items[len(items)-1]
		out.Body.Next = encodeCursor(store.TimelineKey{OccurredAt: last.OccurredAt, ID: last.ID})
	}
	perPatient := map[string]int{}
	var order []string
	for _, it := range items {
		out.Body.Records = append(out.Body.Records, SearchHitOut{RecordOut: recordOut(it.Record, it.Current, it.ReadCount, it.ReadByMe),
			Snippet: care.Snippet(it.Current.Content.SearchText(), words, 80)})
		if perPatient[it.PatientID] == 0 {
			order = append(order, it.PatientID)
		}
		perPatient[it.PatientID]++
	}
	var events []*audit.Event
	if in.PatientID != "" && len(order) == 0 {
		order = []string{in.PatientID}
	}
	for _, id := range order {
		e := s.event(ctx, pr, "record.search", id, "record", "")
		e.Detail = fmt.Sprintf("results=%d words=%d", perPatient[id], len(words))
		events = append(events, e)
	}
	if in.PatientID == "" {
		e := s.event(ctx, pr, "record.search", "", "record", "")
		e.Detail = fmt.Sprintf("patients=%d results=%d words=%d", patients, len(items), len(words))
		events = append(events, e)
	}
	if err := s.auditAfterRead(ctx, events); err != nil {
		return nil, err
	}
	return out, nil
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
