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
// merged with a walk of the timeline of each patient the index named more
// for. No record or version table is scanned: records are read by key or
// on their patient's timeline index.
func (tx *Tx) SearchRecords(ctx context.Context, q SearchQuery) ([]TimelineItem, error) {
	if len(q.ChartPatients)+len(q.SharedPatients) == 0 || len(q.Words) == 0 {
		return []TimelineItem{}, nil
	}
	grams := searchGrams(q.Words)
	var ids []string
	patients := q.patients()
	for len(patients) > 0 {
		chunk := patients[:min(len(patients), searchChunk)]
		patients = patients[len(chunk):]
		query, args, err := tx.searchPage(ctx, q, chunk, grams)
		if err != nil {
			return nil, err
		}
		var page []string
		if err := tx.sel(ctx, &page, query, args...); err != nil {
			return nil, fmt.Errorf("search records: %w", err)
		}
		ids = append(ids, page...)
	}
	if len(ids) == 0 {
		return []TimelineItem{}, nil
	}
	stubs, err := tx.stubs(ctx, q.Limit, `SELECT `+stubColumns+` FROM record r WHERE r.id IN `+tx.inList()+`
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

// searchPage is the page query of q in patients: the ids of up to q.Limit
// records, newest first. It first asks the index for each patient's
// candidates (searchCandidatesOf).
func (tx *Tx) searchPage(ctx context.Context, q SearchQuery, patients []searchPatient, grams []string) (string, []any, error) {
	cands, dense, err := tx.searchCandidatesOf(ctx, patients, grams)
	if err != nil {
		return "", nil, err
	}
	query, args := tx.searchSQL(q, cands, dense)
	return query, args, nil
}

// searchCandidatesOf asks the index, in one statement, for the records of
// each of patients holding every one of grams, up to searchCandidates + 1
// each: it answers the candidates of the patients that have no more than
// searchCandidates (record_search keys on SQLite, record ids on
// PostgreSQL), and the patients that have more (dense), to be walked by
// time.
func (tx *Tx) searchCandidatesOf(ctx context.Context, patients []searchPatient, grams []string) (cands []string, dense []searchPatient, err error) {
	query, args := tx.candidatesSQL(patients, grams)
	var rows []struct {
		N    int    `db:"n"`
		Cand string `db:"cand"`
	}
	if err := tx.sel(ctx, &rows, query, args...); err != nil {
		return nil, nil, fmt.Errorf("search index: %w", err)
	}
	per := make([][]string, len(patients))
	for _, r := range rows {
		if r.N < 1 || r.N > len(patients) {
			return nil, nil, fmt.Errorf("search index: member %d", r.N)
		}
		per[r.N-1] = append(per[r.N-1], r.Cand)
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
	members := make([]string, len(patients))
	args := make([]any, len(patients))
	for i, p := range patients {
		members[i] = `SELECT * FROM (SELECT ` + strconv.Itoa(i+1) + ` AS n, CAST(rowid AS TEXT) AS cand FROM record_gram_fts
			WHERE record_gram_fts MATCH ? LIMIT ` + limit + `)`
		args[i] = strings.Join(indexTerms(SQLite, p.id, strings.Join(grams, " ")), " AND ")
	}
	return strings.Join(members, " UNION ALL "), args
}

// searchSQL is the page query: the candidates (cands, each looked up by
// key) kept when the viewer reads them and their text holds every word,
// and one walk per dense patient, newest first on that patient's timeline
// with the reading rule of the patient's level, merged newest first.
func (tx *Tx) searchSQL(q SearchQuery, cands []string, dense []searchPatient) (string, []any) {
	holds := "instr(s.body, ?) > 0"
	if tx.engine == Postgres {
		holds = "strpos(s.body, ?) > 0"
	}
	// tail: who reads first (a record the viewer does not read is never
	// looked at further), then the cursor, then the text.
	tail := func(where []string, args []any) ([]string, []any) {
		if q.Before != nil {
			where = append(where, "(r.occurred_at, r.id) < (?, ?)")
			args = append(args, UTC(q.Before.OccurredAt), q.Before.ID)
		}
		where = append(where, "s.record_id = r.id")
		for _, w := range q.Words {
			where = append(where, holds)
			args = append(args, w)
		}
		return where, args
	}
	var members []string
	var args []any
	if len(cands) > 0 {
		// CROSS JOIN keeps SQLite's join order: the candidates drive.
		where, wargs := []string{`s.key IN (SELECT value FROM json_each(?))`, "r.id = s.record_id"}, []any{jsonInts(cands)}
		if tx.engine == Postgres { // ANY: an index condition on both keys, whatever the list's estimated length
			where, wargs = []string{`r.id = ANY(?::text[])`, "s.record_id = r.id"}, []any{pgArray(cands)}
		}
		var groups []string
		for _, g := range []struct {
			ids   []string
			level care.Level
		}{{q.ChartPatients, care.Chart}, {q.SharedPatients, care.Shared}} {
			if len(g.ids) == 0 {
				continue
			}
			reads, readsArgs := readsSQL(care.RecordScopeFor(q.Viewer, g.level))
			groups = append(groups, "(r.patient_id IN "+tx.inList()+" AND "+reads+")")
			wargs = append(append(wargs, jsonList(g.ids)), readsArgs...)
		}
		where, wargs = tail(append(where, "("+strings.Join(groups, " OR ")+")"), wargs)
		members = append(members, `SELECT r.id, r.occurred_at FROM record_search s CROSS JOIN record r WHERE `+strings.Join(where, " AND "))
		args = append(args, wargs...)
	}
	for _, p := range dense {
		reads, readsArgs := readsSQL(care.RecordScopeFor(q.Viewer, p.level))
		where, wargs := tail([]string{"r.patient_id = ?", reads}, append([]any{p.id}, readsArgs...))
		members = append(members, `SELECT * FROM (SELECT r.id, r.occurred_at FROM record r CROSS JOIN record_search s
			WHERE `+strings.Join(where, " AND ")+`
			ORDER BY r.occurred_at DESC, r.id DESC LIMIT `+strconv.Itoa(q.Limit)+`) w`)
		args = append(args, wargs...)
	}
	if len(members) == 0 {
		return `SELECT r.id FROM record r WHERE 1 = 0`, nil
	}
	return `SELECT r.id FROM (` + strings.Join(members, " UNION ALL ") + `) r
		ORDER BY r.occurred_at DESC, r.id DESC` + limitSQL(q.Limit), args
}

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
// index's candidates, then the page, one line a step: for tests and
// operators to see that a search scans no table.
func (tx *Tx) SearchPlan(ctx context.Context, q SearchQuery) ([]string, error) {
	patients := q.patients()
	patients = patients[:min(len(patients), searchChunk)]
	grams := searchGrams(q.Words)
	cq, cargs := tx.candidatesSQL(patients, grams)
	out, err := tx.explain(ctx, cq, cargs)
	if err != nil {
		return nil, err
	}
	query, args, err := tx.searchPage(ctx, q, patients, grams)
	if err != nil {
		return nil, err
	}
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
