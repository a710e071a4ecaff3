package store

import (
	"context"
	"fmt"
	"strings"

	"tsunagu/internal/care"
)

// indexRecord rewrites the search index of record id (already inserted,
// with its current version's content c and status): its normalised text in
// record_search and its bigrams in record_gram, with the record's patient
// and time. Only the current version is indexed; an amendment replaces
// what the previous one indexed. A record entered in error is indexed
// empty: its text stays in the history, but a search never finds it (it
// is often another patient's text written on the wrong chart).
func (tx *Tx) indexRecord(ctx context.Context, id string, c care.RecordContent, status string) error {
	text := ""
	if status != care.RecordEnteredInError {
		text = c.SearchText()
	}
	if _, err := tx.exec(ctx, `DELETE FROM record_gram WHERE record_id = ?`, id); err != nil {
		return fmt.Errorf("unindex record: %w", err)
	}
	if _, err := tx.exec(ctx, `DELETE FROM record_search WHERE record_id = ?`, id); err != nil {
		return fmt.Errorf("unindex record: %w", err)
	}
	if _, err := tx.exec(ctx, `INSERT INTO record_search (record_id, body) VALUES (?, ?)`, id, text); err != nil {
		return fmt.Errorf("index record text: %w", err)
	}
	grams := care.Bigrams(text)
	if len(grams) == 0 {
		return nil
	}
	q := `INSERT INTO record_gram (gram, record_id, patient_id, occurred_at)
		SELECT j.value, r.id, r.patient_id, r.occurred_at FROM record r, json_each(?) j WHERE r.id = ?`
	if tx.engine == Postgres {
		q = `INSERT INTO record_gram (gram, record_id, patient_id, occurred_at)
		SELECT j, r.id, r.patient_id, r.occurred_at FROM record r, json_array_elements_text(?::json) j WHERE r.id = ?`
	}
	if _, err := tx.exec(ctx, q, jsonList(grams), id); err != nil {
		return fmt.Errorf("index record grams: %w", err)
	}
	return nil
}

// IndexBacklog indexes the records migration 19 queued (those written
// before search existed), 200 to a transaction, each leaving the queue in
// the transaction that indexes it. Open runs it right after migrating; on
// a database without a backlog it is one indexed read.
func (db *DB) IndexBacklog(ctx context.Context) error {
	for {
		n := 0
		err := db.Write(ctx, func(tx *Tx) error {
			var ids []string
			if err := tx.sel(ctx, &ids, `SELECT record_id FROM record_search_backlog ORDER BY record_id LIMIT 200`); err != nil {
				return fmt.Errorf("search backlog: %w", err)
			}
			n = len(ids)
			if n == 0 {
				return nil
			}
			var rows []versionRow
			if err := tx.sel(ctx, &rows, `SELECT `+versionColumns+`, '' AS entered_by_name, '' AS entered_by_profession, '' AS confirmed_by_name
				FROM record r JOIN record_version v ON v.record_id = r.id AND v.version = r.current_version
				WHERE r.id IN `+tx.inList(), jsonList(ids)); err != nil {
				return fmt.Errorf("search backlog: %w", err)
			}
			for _, row := range rows {
				v, err := row.version()
				if err != nil {
					return err
				}
				if err := tx.indexRecord(ctx, row.RecordID, v.Content, v.Status); err != nil {
					return err
				}
			}
			_, err := tx.exec(ctx, `DELETE FROM record_search_backlog WHERE record_id IN `+tx.inList(), jsonList(ids))
			return err
		})
		if err != nil || n == 0 {
			return err
		}
	}
}

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

// gramProbe is how many index entries of a gram are counted, at most, to
// pick the rarest gram of a query to walk: enough to tell a rare gram from
// a common one, few enough that probing stays a short index range.
const gramProbe = 200

// SearchRecords returns up to q.Limit records matching q, with their
// current versions and read state for the viewer. It walks the index
// entries of the query's rarest gram (of the few it probes) newest first
// and keeps the records the viewer reads whose text holds every word. No
// record or version table is scanned: each candidate is looked up by its
// primary key. Which entries it walks is chosen so that the work never
// grows with the network's records (walkNetwork).
func (tx *Tx) SearchRecords(ctx context.Context, q SearchQuery) ([]TimelineItem, error) {
	if len(q.ChartPatients)+len(q.SharedPatients) == 0 || len(q.Words) == 0 {
		return []TimelineItem{}, nil
	}
	gram, err := tx.rarestGram(ctx, q.Words)
	if err != nil || gram == "" {
		return []TimelineItem{}, err
	}
	network, err := tx.walkNetwork(ctx, q, gram)
	if err != nil {
		return nil, err
	}
	query, args := tx.searchSQL(q, gram, network)
	stubs, err := tx.stubs(ctx, q.Limit, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search records: %w", err)
	}
	return tx.resolveRecords(ctx, stubs)
}

// maxWalkedPatients is how many patients a search walks one by one, each
// on its own index range, in one statement (SQLite allows 500 members in a
// UNION). A caseload beyond it walks the gram's entries across the network
// on record_gram_all, filtered by patient.
const maxWalkedPatients = 400

// walkNetwork decides how a page of q walks gram: across the network's
// entries newest first on record_gram_all, kept when they are the caller's
// patients' (true), or in each of the caller's patients on its own range of
// record_gram_patient, the walks merged (false). The first costs about
// limit ÷ (the caller's share of the gram's entries), the second up to
// limit × patients: a sample of the gram's newest gramProbe entries across
// the network tells the share. A gram with fewer entries than that in the
// whole network is walked across it (it is short); so is a caseload past
// maxWalkedPatients. In one patient its own range is always walked.
func (tx *Tx) walkNetwork(ctx context.Context, q SearchQuery, gram string) (bool, error) {
	n := len(q.ChartPatients) + len(q.SharedPatients)
	if n == 1 {
		return false, nil
	}
	if n > maxWalkedPatients {
		return true, nil
	}
	where, args := "g.gram = ?", []any{gram}
	if q.Before != nil {
		where += " AND (g.occurred_at, g.record_id) < (?, ?)"
		args = append(args, UTC(q.Before.OccurredAt), q.Before.ID)
	}
	var sample []string
	if err := tx.sel(ctx, &sample, `SELECT g.patient_id FROM record_gram g WHERE `+where+`
		ORDER BY g.occurred_at DESC, g.record_id DESC`+limitSQL(gramProbe), args...); err != nil {
		return false, fmt.Errorf("search sample: %w", err)
	}
	if len(sample) < gramProbe {
		return true, nil
	}
	mine := map[string]bool{}
	for _, id := range append(append([]string{}, q.ChartPatients...), q.SharedPatients...) {
		mine[id] = true
	}
	hits := 0
	for _, id := range sample {
		if mine[id] {
			hits++
		}
	}
	// limit ÷ share < limit × patients  ⇔  hits × patients > sample size
	return hits*n > len(sample), nil
}

// searchSQL is the page query of q walking gram: across the network's
// entries filtered by the caller's patients (network), or one member per
// patient, newest first on that patient's range of record_gram_patient with
// the reading rule of the patient's level, merged newest first.
func (tx *Tx) searchSQL(q SearchQuery, gram string, network bool) (string, []any) {
	holds := "instr(s.body, ?) > 0"
	if tx.engine == Postgres {
		holds = "strpos(s.body, ?) > 0"
	}
	tail := func(where []string, args []any) ([]string, []any) {
		for _, w := range q.Words {
			where = append(where, holds)
			args = append(args, w)
		}
		if q.Before != nil {
			where = append(where, "(g.occurred_at, g.record_id) < (?, ?)")
			args = append(args, UTC(q.Before.OccurredAt), q.Before.ID)
		}
		return where, args
	}
	// CROSS JOIN keeps SQLite's join order: the gram's index entries drive,
	// record and text are looked up by key.
	walk := func(where []string) string {
		return `SELECT r.* FROM record_gram g CROSS JOIN record r CROSS JOIN record_search s
			WHERE r.id = g.record_id AND s.record_id = g.record_id AND ` + strings.Join(where, " AND ") + `
			ORDER BY g.occurred_at DESC, g.record_id DESC` + limitSQL(q.Limit)
	}
	args := []any{q.Viewer.UserID} // stubColumns' read state
	levels := []struct {
		ids   []string
		level care.Level
	}{{q.ChartPatients, care.Chart}, {q.SharedPatients, care.Shared}}
	if network {
		where, wargs := []string{"g.gram = ?"}, []any{gram}
		var groups []string
		for _, g := range levels {
			if len(g.ids) == 0 {
				continue
			}
			reads, readsArgs := readsSQL(care.RecordScopeFor(q.Viewer, g.level))
			groups = append(groups, "(g.patient_id IN "+tx.inList()+" AND "+reads+")")
			wargs = append(append(wargs, jsonList(g.ids)), readsArgs...)
		}
		where, wargs = tail(append(where, "("+strings.Join(groups, " OR ")+")"), wargs)
		return `SELECT ` + stubColumns + ` FROM (` + walk(where) + `) r ORDER BY r.occurred_at DESC, r.id DESC`, append(args, wargs...)
	}
	var members []string
	for _, g := range levels {
		reads, readsArgs := readsSQL(care.RecordScopeFor(q.Viewer, g.level))
		for _, pid := range g.ids {
			where, wargs := tail([]string{"g.gram = ?", "g.patient_id = ?", reads}, append([]any{gram, pid}, readsArgs...))
			members = append(members, `SELECT * FROM (`+walk(where)+`) p`)
			args = append(args, wargs...)
		}
	}
	return `SELECT ` + stubColumns + ` FROM (` + strings.Join(members, " UNION ALL ") + `) r
		ORDER BY r.occurred_at DESC, r.id DESC` + limitSQL(q.Limit), args
}

// rarestGram picks, of the query's grams (a few of each word), the one
// with the fewest index entries in the whole index, counting at most
// gramProbe of each; "" when one of them is in no record at all (nothing
// can match). The probe never looks at one patient's entries: a count over
// a patient's records, readable or not, would let the time of an empty
// answer tell a care worker whether the patient's chart holds two given
// characters.
func (tx *Tx) rarestGram(ctx context.Context, words []string) (string, error) {
	var grams []string
	for _, w := range words {
		g := care.Bigrams(w)
		if len(g) > 4 { // the first, the last and two between
			g = []string{g[0], g[len(g)/3], g[2*len(g)/3], g[len(g)-1]}
		}
		grams = append(grams, g...)
	}
	// The probe counts the gram's entries in the whole index (a covering
	// range, no patient filter): a gram common elsewhere is common enough to
	// be walked last in one patient too.
	probe := `SELECT COUNT(*) FROM (SELECT 1 FROM record_gram g WHERE g.gram = ?` + limitSQL(gramProbe) + `) x`
	best, bestN := "", -1
	for _, g := range grams {
		var n int
		if err := tx.get(ctx, &n, probe, g); err != nil {
			return "", fmt.Errorf("search probe: %w", err)
		}
		if n == 0 {
			return "", nil
		}
		if bestN < 0 || n < bestN {
			best, bestN = g, n
		}
	}
	return best, nil
}

// SearchPlan is the database's plan for the page query of q walking gram
// (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL), one line a step:
// for tests and operators to see that a search scans no table.
func (tx *Tx) SearchPlan(ctx context.Context, q SearchQuery, gram string) ([]string, error) {
	network, err := tx.walkNetwork(ctx, q, gram)
	if err != nil {
		return nil, err
	}
	query, args := tx.searchSQL(q, gram, network)
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
