package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"tsunagu/internal/care"
)

// SearchQuery selects a page of the records whose current version holds
// every one of Words (care.SearchWords: normalised, two or more
// characters each), newest first by (occurred_at, id) like the timeline.
// The records are looked for in ChartPatients at the Chart level and in
// SharedPatients at the Shared level (care.RecordScope, the levels
// care.PatientAccess gives Viewer there now), so that a result is always a
// record the viewer reads.
type SearchQuery struct {
	Viewer         care.Viewer
	Words          []string
	ChartPatients  []string
	SharedPatients []string
	Before         *TimelineKey
	Limit          int
}

// searchCandidates is how many of one patient's records the index may
// name for a query before the patient is walked by time instead: up to it,
// the candidates are checked (and sorted) whole; past it, the words are
// common in the patient's records, and a walk of the patient's timeline
// newest first, checking each record's text, reaches a page of hits after
// about limit × records ÷ searchCandidates records at most.
const searchCandidates = 100

// searchChunk is how many patients one statement looks in (SQLite allows
// 500 members in a UNION); a caseload beyond it takes several, the pages
// merged.
const searchChunk = 400

// searchPatient is one patient of a query, with the level it is read at.
type searchPatient struct {
	id    string
	level care.Level
}

// SearchRecords returns up to q.Limit records matching q, with their
// current versions and read state for the viewer. It looks in each of the
// caller's patients on its own, never across the network's records, so
// that its work grows with the caller's patients and not with the
// network's: first the index names, per patient, the records holding
// every gram of the words (searchGrams), up to searchCandidates; then the
// page is the newest of those candidates whose text holds the words,
// merged with walks of the timelines of the patients the index named more
// for, a few hits of each at a time (searchWalk). No record or version
// table is scanned: records are read by key or on their patient's
// timeline index.
func (tx *Tx) SearchRecords(ctx context.Context, q SearchQuery) ([]TimelineItem, error) {
	if len(q.ChartPatients)+len(q.SharedPatients) == 0 || len(q.Words) == 0 || q.Limit <= 0 {
		return []TimelineItem{}, nil
	}
	grams := searchGrams(q.Words)
	var ids []string
	patients := q.patients()
	for len(patients) > 0 {
		chunk := patients[:min(len(patients), searchChunk)]
		patients = patients[len(chunk):]
		cands, dense, err := tx.searchCandidatesOf(ctx, chunk, grams)
		if err != nil {
			return nil, err
		}
		page, err := tx.searchWalk(ctx, q, cands, dense)
		if err != nil {
			return nil, err
		}
		for _, h := range page {
			ids = append(ids, h.ID)
		}
	}
	if len(ids) == 0 {
		return []TimelineItem{}, nil
	}
	stubs, err := tx.stubs(ctx, q.Limit, `SELECT `+tx.stubColumns()+` FROM record r WHERE r.id IN `+tx.inList()+`
		ORDER BY r.occurred_at DESC, r.id DESC`+limitSQL(q.Limit), q.Viewer.UserID, jsonList(ids))
	if err != nil {
		return nil, fmt.Errorf("search records: %w", err)
	}
	return tx.resolveRecords(ctx, stubs)
}

func (q SearchQuery) patients() []searchPatient {
	out := make([]searchPatient, 0, len(q.ChartPatients)+len(q.SharedPatients))
	for _, id := range q.ChartPatients {
		out = append(out, searchPatient{id, care.Chart})
	}
	for _, id := range q.SharedPatients {
		out = append(out, searchPatient{id, care.Shared})
	}
	return out
}

// searchGrams are the grams of words the index is asked for: of each
// word, its first, its last and two between (every gram of a shorter
// word). A record holding the word holds them all; the text check then
// confirms the whole words.
//
// Which grams are asked for never depends on the index's content. (An
// earlier index probed each gram's count across the whole index to pick
// the rarest, so that the time of an empty answer could not tell whether
// an unreadable chart holds two characters.) A patient's terms hold all
// of its records, readable or not, as migration 19's per-patient gram
// range did: what the time of an answer can tell is how many records of
// a patient the caller is on the team of hold the grams, never anything
// of a patient outside the caller's patients.
func searchGrams(words []string) []string {
	var grams []string
	for _, w := range words {
		g := care.Bigrams(w)
		if len(g) > 4 {
			g = []string{g[0], g[len(g)/3], g[2*len(g)/3], g[len(g)-1]}
		}
		for _, x := range g {
			if !care.Valid(grams, x) {
				grams = append(grams, x)
			}
		}
	}
	return grams
}

// searchCandidatesOf asks the index, in one statement, for the records of
// each of patients holding every one of grams, up to searchCandidates + 1
// each: it answers the candidates of the patients that have no more than
// searchCandidates (record_search keys on SQLite, record ids on
// PostgreSQL), and the patients that have more (dense), to be walked by
// time.
func (tx *Tx) searchCandidatesOf(ctx context.Context, patients []searchPatient, grams []string) (cands []string, dense []searchPatient, err error) {
	query, args := tx.candidatesSQL(patients, grams)
	per := make([][]string, len(patients))
	add := func(n int, cand string) error {
		if n < 1 || n > len(patients) {
			return fmt.Errorf("search index: member %d", n)
		}
		per[n-1] = append(per[n-1], cand)
		return nil
	}
	if tx.engine == SQLite {
		// One row a patient, its candidates' keys joined by commas
		// (searchCandidatesSQLite).
		var rows []struct {
			N     int    `db:"n"`
			Cands string `db:"cands"`
		}
		if err := tx.sel(ctx, &rows, query, args...); err != nil {
			return nil, nil, fmt.Errorf("search index: %w", err)
		}
		for _, r := range rows {
			if r.Cands == "" {
				continue
			}
			if strings.Count(r.Cands, ",") >= searchCandidates { // dense: only the count matters
				if r.N < 1 || r.N > len(patients) {
					return nil, nil, fmt.Errorf("search index: member %d", r.N)
				}
				per[r.N-1] = make([]string, searchCandidates+1)
				continue
			}
			for _, k := range strings.Split(r.Cands, ",") {
				if err := add(r.N, k); err != nil {
					return nil, nil, err
				}
			}
		}
	} else {
		var rows []struct {
			N    int    `db:"n"`
			Cand string `db:"cand"`
		}
		if err := tx.sel(ctx, &rows, query, args...); err != nil {
			return nil, nil, fmt.Errorf("search index: %w", err)
		}
		for _, r := range rows {
			if err := add(r.N, r.Cand); err != nil {
				return nil, nil, err
			}
		}
	}
	for i, c := range per {
		if len(c) > searchCandidates {
			dense = append(dense, patients[i])
		} else {
			cands = append(cands, c...)
		}
	}
	return cands, dense, nil
}

// candidatesSQL is searchCandidatesOf's statement: the intersection of
// each patient's terms of the grams; on SQLite one FTS5 query per patient
// in a UNION, on PostgreSQL one GIN scan per patient in a lateral join.
func (tx *Tx) candidatesSQL(patients []searchPatient, grams []string) (string, []any) {
	limit := strconv.Itoa(searchCandidates + 1)
	if tx.engine == Postgres {
		arrays := make([]string, len(patients))
		for i, p := range patients {
			arrays[i] = "{" + strings.Join(indexTerms(Postgres, p.id, strings.Join(grams, " ")), ",") + "}"
		}
		return `SELECT x.n, c.record_id AS cand FROM json_array_elements_text(?::json) WITH ORDINALITY x(terms, n)
			CROSS JOIN LATERAL (SELECT s.record_id FROM record_search s WHERE s.grams @> x.terms::bigint[] LIMIT ` + limit + `) c`,
			[]any{jsonList(arrays)}
	}
	exprs := make([]string, len(patients))
	for i, p := range patients {
		exprs[i] = strings.Join(indexTerms(SQLite, p.id, strings.Join(grams, " ")), " AND ")
	}
	return searchCandidatesSQLite, []any{jsonList(exprs)}
}

// searchCandidatesSQLite is candidatesSQL on SQLite: one FTS5 query a
// patient, each a correlated subquery of a row of the JSON array of the
// patients' match expressions, so that the statement's text is the same
// for every caseload and prepared once. (A UNION of one member a patient
// was parsed anew for each caseload size: 200 ms to prepare for 400
// patients, more than the queries, and 101 rows a dense patient.)
var searchCandidatesSQLite = `SELECT x.key + 1 AS n, (SELECT coalesce(group_concat(f.rowid), '') FROM (SELECT rowid FROM record_gram_fts
	WHERE record_gram_fts MATCH x.value LIMIT ` + strconv.Itoa(searchCandidates+1) + `) f) AS cands FROM json_each(?) x`

// jsonInts encodes decimal keys as a JSON array of numbers, for json_each
// to answer integers that compare with an INTEGER PRIMARY KEY.
func jsonInts(keys []string) string {
	raw := make([]json.RawMessage, len(keys))
	for i, k := range keys {
		raw[i] = json.RawMessage(k)
	}
	b, _ := json.Marshal(raw)
	return string(b)
}

// SearchPlan is the database's plans for the statements of the first
// chunk of q (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL): the
// index's candidates, then the first round of the page (searchWalk), one
// line a step: for tests and operators to see that a search scans no
// table.
func (tx *Tx) SearchPlan(ctx context.Context, q SearchQuery) ([]string, error) {
	patients := q.patients()
	patients = patients[:min(len(patients), searchChunk)]
	grams := searchGrams(q.Words)
	cq, cargs := tx.candidatesSQL(patients, grams)
	out, err := tx.explain(ctx, cq, cargs)
	if err != nil {
		return nil, err
	}
	cands, dense, err := tx.searchCandidatesOf(ctx, patients, grams)
	if err != nil {
		return nil, err
	}
	walks := make([]searchWalkOf, len(dense))
	for i, p := range dense {
		walks[i] = searchWalkOf{patient: p, before: q.Before, take: searchFirstTake(q.Limit, len(dense))}
	}
	if tx.engine == SQLite && len(walks) > searchUnionWalks { // as searchRound runs them: the candidates, then the walks
		if len(cands) > 0 {
			query, args := tx.searchRoundSQL(q, cands, nil)
			page, err := tx.explain(ctx, query, args)
			if err != nil {
				return nil, err
			}
			out = append(out, page...)
		}
		if len(walks) > 0 {
			members := make([]int, len(walks))
			for i := range members {
				members[i] = i
			}
			query, args := tx.searchWalksSQLite(q, walks, members)
			page, err := tx.explain(ctx, query, args)
			return append(out, page...), err
		}
		return out, nil
	}
	query, args := tx.searchRoundSQL(q, cands, walks)
	page, err := tx.explain(ctx, query, args)
	return append(out, page...), err
}

func (tx *Tx) explain(ctx context.Context, query string, args []any) ([]string, error) {
	explain := "EXPLAIN "
	if tx.engine == SQLite {
		explain = "EXPLAIN QUERY PLAN "
	}
	rows, err := tx.x.QueryContext(ctx, tx.x.Rebind(explain+query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprint(vals[len(vals)-1])) // SQLite: detail; PostgreSQL: QUERY PLAN
	}
	return out, rows.Err()
}
