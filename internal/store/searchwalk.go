package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"tsunagu/internal/care"
)

// searchHit is a record a page statement found: the member that found it
// (0 the candidates, i the i-th walk of the statement) and its key, the
// time as text that orders as the database orders it (SQLite compares the
// stored text; PostgreSQL's is fixed-width), so that hits of different
// statements merge in the timeline's order.
type searchHit struct {
	N  int    `db:"n"`
	ID string `db:"id"`
	At string `db:"at"`
}

// newer reports whether h comes before o newest first by (occurred_at, id)
// (ids compare as the databases' C collations do, bytewise).
func (h searchHit) newer(o searchHit) bool {
	if h.At != o.At {
		return h.At > o.At
	}
	return h.ID > o.ID
}

// searchWalkOf is the walk of one dense patient's timeline, newest first:
// where the next take starts (the query's cursor, then the last hit
// taken), how many hits it takes, and whether it has run out.
type searchWalkOf struct {
	patient searchPatient
	before  *TimelineKey
	last    *searchHit
	take    int
	done    bool
}

// searchFirstTake is how many hits the first take of each of dense walks
// asks for: a page's share of each and one more, so that hits spread
// over the patients fill the page in one round, while a walk whose hits
// are all newer than the page's last takes twice as many in each next
// round (a patient holding the whole page costs log2 rounds, each one
// statement).
func searchFirstTake(limit, dense int) int {
	if dense == 0 {
		return 0
	}
	return min(limit, (limit+dense-1)/dense+1)
}

// searchWalk is the page of one chunk of patients: up to q.Limit hits,
// newest first, of the candidates (each checked by key) and of walks of
// the dense patients' timelines. The first statement takes the candidates
// and a first take of every walk; each next statement takes more of only
// the walks whose last hit is still on the page (so their next could be),
// until none is: the records walked are about a page plus a few of each
// dense patient, not a page of each.
func (tx *Tx) searchWalk(ctx context.Context, q SearchQuery, cands []string, dense []searchPatient) ([]searchHit, error) {
	walks := make([]*searchWalkOf, len(dense))
	for i, p := range dense {
		walks[i] = &searchWalkOf{patient: p, before: q.Before, take: searchFirstTake(q.Limit, len(dense))}
	}
	var page []searchHit
	active := walks
	for len(cands) > 0 || len(active) > 0 {
		round := make([]searchWalkOf, len(active))
		for i, w := range active {
			round[i] = *w
		}
		rows, err := tx.searchRound(ctx, q, cands, round)
		if err != nil {
			return nil, err
		}
		got := make([]int, len(active))
		for _, r := range rows {
			if r.N < 0 || r.N > len(active) {
				return nil, fmt.Errorf("search records: member %d", r.N)
			}
			if r.N > 0 {
				w := active[r.N-1]
				got[r.N-1]++
				if w.last == nil || w.last.newer(r) {
					h := r
					w.last = &h
				}
			}
			page = append(page, r)
		}
		for i, w := range active {
			w.done = got[i] < w.take
			w.take = min(2*w.take, q.Limit)
		}
		slices.SortFunc(page, func(a, b searchHit) int {
			if a.newer(b) {
				return -1
			}
			if b.newer(a) {
				return 1
			}
			return 0
		})
		page = page[:min(len(page), q.Limit)]
		cands = nil
		active = active[:0:0]
		for _, w := range walks {
			if !w.done && (len(page) < q.Limit || w.last.newer(page[q.Limit-1])) {
				active = append(active, w)
			}
		}
	}
	return page, nil
}

// searchUnionWalks is how many walks a round on SQLite still takes in one
// UNION (searchRoundSQL): as few texts as that are prepared once each, and
// a walk's bound and reading rule are then parameters rather than JSON
// read for every record walked (a search in one patient: 2.4 ms CPU
// against 3.6 ms through searchWalksSQLite).
const searchUnionWalks = 4

// searchRound runs one round of searchWalk: on PostgreSQL, and for a few
// walks on SQLite, one statement (searchRoundSQL); else the candidates' statement and the walks'
// (searchWalksSQLite), each of a text that is the same whatever the
// number of walks, so prepared once (a UNION of a member a walk was
// prepared anew for each number of walks: most of a search across 400
// patients' CPU).
func (tx *Tx) searchRound(ctx context.Context, q SearchQuery, cands []string, walks []searchWalkOf) ([]searchHit, error) {
	if tx.engine != SQLite || len(walks) <= searchUnionWalks {
		query, args := tx.searchRoundSQL(q, cands, walks)
		var rows []searchHit
		if err := tx.sel(ctx, &rows, query, args...); err != nil {
			return nil, fmt.Errorf("search records: %w", err)
		}
		return rows, nil
	}
	var rows []searchHit
	if len(cands) > 0 {
		query, args := tx.searchRoundSQL(q, cands, nil)
		if err := tx.sel(ctx, &rows, query, args...); err != nil {
			return nil, fmt.Errorf("search records: %w", err)
		}
	}
	if len(walks) == 0 {
		return rows, nil
	}
	// A statement a size of take (a LIMIT cannot name a column): the
	// first round's walks all take as many, a later round's a few sizes.
	byTake := map[int][]int{}
	var sizes []int
	for i, w := range walks {
		if byTake[w.take] == nil {
			sizes = append(sizes, w.take)
		}
		byTake[w.take] = append(byTake[w.take], i)
	}
	for _, take := range sizes {
		members := byTake[take]
		query, args := tx.searchWalksSQLite(q, walks, members)
		var takes []struct {
			N    int    `db:"n"`
			Hits string `db:"hits"`
		}
		if err := tx.sel(ctx, &takes, query, args...); err != nil {
			return nil, fmt.Errorf("search records: %w", err)
		}
		for _, t := range takes {
			var hits [][2]string
			if err := json.Unmarshal([]byte(t.Hits), &hits); err != nil {
				return nil, fmt.Errorf("search records: %w", err)
			}
			if t.N < 0 || t.N >= len(members) {
				return nil, fmt.Errorf("search records: walk %d", t.N)
			}
			for _, h := range hits {
				rows = append(rows, searchHit{N: members[t.N] + 1, ID: h[0], At: h[1]})
			}
		}
	}
	return rows, nil
}

// searchWalksSQLite is a take of each of walks[members] (all of one size)
// on SQLite in one statement: a row a walk (its index in members and a
// JSON array of [id, time] hits), the take a correlated subquery of a row
// of the JSON array of those walks (patient, level, bound), newest first
// on the patient's timeline before the walk's bound (its last hit, else
// the query's cursor), with the reading rule of the walk's level: one
// range of the timeline index. A walk with neither has the bound "~",
// after every stored time (they begin with a digit).
func (tx *Tx) searchWalksSQLite(q SearchQuery, walks []searchWalkOf, members []int) (string, []any) {
	type walkArg struct {
		P     string `json:"p"`
		Chart int    `json:"c"`
		At    string `json:"a"`
		ID    string `json:"i"`
	}
	ws := make([]walkArg, len(members))
	for i, m := range members {
		w := walks[m]
		ws[i] = walkArg{P: w.patient.id, At: "~"}
		if w.patient.level >= care.Chart {
			ws[i].Chart = 1
		}
		switch {
		case w.last != nil: // the stored text, compared as stored
			ws[i].At, ws[i].ID = w.last.At, w.last.ID
		case w.before != nil: // the text the driver binds a time as (_time_format=sqlite)
			ws[i].At, ws[i].ID = UTC(w.before.OccurredAt).Format(sqliteTimeFormat), w.before.ID
		}
	}
	b, _ := json.Marshal(ws)
	chart, chartArgs := readsSQL(care.RecordScopeFor(q.Viewer, care.Chart))
	shared, sharedArgs := readsSQL(care.RecordScopeFor(q.Viewer, care.Shared))
	where := []string{"r.patient_id = w.value ->> 'p'", "((w.value ->> 'c' = 1 AND " + chart + ") OR (w.value ->> 'c' = 0 AND " + shared + "))"}
	args := append(append([]any{}, chartArgs...), sharedArgs...)
	where = append(where, "(r.occurred_at, r.id) < (w.value ->> 'a', w.value ->> 'i')", "s.record_id = r.id")
	for _, word := range q.Words {
		where = append(where, "instr(s.body, ?) > 0")
		args = append(args, word)
	}
	args = append(args, walks[members[0]].take)
	return `SELECT w.key AS n, (SELECT json_group_array(json_array(h.id, h.at)) FROM (SELECT r.id, CAST(r.occurred_at AS TEXT) AS at
		FROM record r CROSS JOIN record_search s WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY r.occurred_at DESC, r.id DESC LIMIT ?) h) AS hits FROM json_each(?) w`, append(args, string(b))
}

// sqliteTimeFormat is the text modernc.org/sqlite writes a time.Time
// parameter as under _time_format=sqlite (store.go): a time made into text
// here compares with stored times as the bound parameter would.
const sqliteTimeFormat = "2006-01-02 15:04:05.999999999-07:00"

// searchRoundSQL is one statement of searchWalk: the candidates (cands,
// each looked up by key) kept when the viewer reads them and their text
// holds every word, up to q.Limit, and a take of each of walks, newest
// first on its patient's timeline with the reading rule of the patient's
// level from the walk's cursor; each row its member and key.
func (tx *Tx) searchRoundSQL(q SearchQuery, cands []string, walks []searchWalkOf) (string, []any) {
	holds, at := "instr(s.body, ?) > 0", "CAST(r.occurred_at AS TEXT)"
	if tx.engine == Postgres {
		holds, at = "strpos(s.body, ?) > 0", "to_char(r.occurred_at, 'YYYY-MM-DD HH24:MI:SS.US')"
	}
	// tail: who reads first (a record the viewer does not read is never
	// looked at further), then the cursor, then the text.
	tail := func(where []string, args []any, before *TimelineKey, last *searchHit) ([]string, []any) {
		switch {
		case last != nil && tx.engine == Postgres:
			where = append(where, "(r.occurred_at, r.id) < (CAST(? AS TIMESTAMP), ?)")
			args = append(args, last.At, last.ID)
		case last != nil: // the stored text, compared as stored
			where = append(where, "(r.occurred_at, r.id) < (?, ?)")
			args = append(args, last.At, last.ID)
		case before != nil:
			where = append(where, "(r.occurred_at, r.id) < (?, ?)")
			args = append(args, UTC(before.OccurredAt), before.ID)
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
		groups, gargs := tx.patientGroups(q.Viewer, q.ChartPatients, q.SharedPatients)
		where, wargs = tail(append(where, groups), append(wargs, gargs...), q.Before, nil)
		members = append(members, `SELECT * FROM (SELECT 0 AS n, r.id, `+at+` AS at FROM record_search s CROSS JOIN record r
			WHERE `+strings.Join(where, " AND ")+`
			ORDER BY r.occurred_at DESC, r.id DESC LIMIT ?) c`)
		args = append(append(args, wargs...), q.Limit)
	}
	for i, w := range walks {
		reads, readsArgs := readsSQL(care.RecordScopeFor(q.Viewer, w.patient.level))
		where, wargs := tail([]string{"r.patient_id = ?", reads}, append([]any{w.patient.id}, readsArgs...), w.before, w.last)
		members = append(members, `SELECT * FROM (SELECT `+strconv.Itoa(i+1)+` AS n, r.id, `+at+` AS at FROM record r CROSS JOIN record_search s
			WHERE `+strings.Join(where, " AND ")+`
			ORDER BY r.occurred_at DESC, r.id DESC LIMIT ?) w`+strconv.Itoa(i+1))
		args = append(append(args, wargs...), w.take)
	}
	if len(members) == 0 {
		return `SELECT 0 AS n, r.id, r.id AS at FROM record r WHERE 1 = 0`, nil
	}
	return strings.Join(members, " UNION ALL "), args
}
