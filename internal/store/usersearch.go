package store

import (
	"context"
	"encoding/json"
	"strings"
	"unicode"
)

// StaffQuery selects accounts for the staff directory. Empty fields do not
// filter.
type StaffQuery struct {
	Terms      []string // every term must match the name, the kana or (where the caller manages the account) the login id
	FacilityID string
	Profession string
	Status     string
	Limit      int
	// Who the caller manages (care.CanManageUser): every account when
	// ManagesAll, else the accounts of ManagesFacility that are not network
	// admins ("" = nobody). Only those are seen in a state other than
	// active, and only their login ids are searched.
	ManagesAll      bool
	ManagesFacility string
}

// StaffRow is an account with the name of its facility.
type StaffRow struct {
	User
	FacilityName string `db:"facility_name"`
}

var staffColumns = func() string {
	cols := strings.Split(userColumns, ",")
	for i, c := range cols {
		cols[i] = "u." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

// searchTerm is one term of a search as LIKE patterns: as typed (lower
// case) for names and login ids, and in hiragana and in katakana for the
// kana, so that either script finds the other.
type searchTerm struct {
	Typed    string `json:"t"`
	Hiragana string `json:"h"`
	Katakana string `json:"k"`
}

// SearchStaff lists the accounts q selects, by kana, at most q.Limit.
// Everything is filtered in the database: spaces inside names do not
// count ("やまだたろう" finds "ヤマダ タロウ"), the terms are a JSON
// parameter so that the statement's text is the same for every search.
func (tx *Tx) SearchStaff(ctx context.Context, q StaffQuery) ([]StaffRow, error) {
	terms := make([]searchTerm, 0, len(q.Terms))
	for _, t := range q.Terms {
		t = strings.Join(strings.FieldsFunc(t, unicode.IsSpace), "")
		if t == "" {
			continue
		}
		terms = append(terms, searchTerm{Typed: likePattern(strings.ToLower(t)), Hiragana: likePattern(ToHiragana(t)), Katakana: likePattern(ToKatakana(t))})
	}
	termsJSON, _ := json.Marshal(terms)
	termRows := `(SELECT json_extract(value, '$.t') AS t, json_extract(value, '$.h') AS h, json_extract(value, '$.k') AS k FROM json_each(?))`
	if tx.engine == Postgres {
		termRows = `(SELECT value->>'t' AS t, value->>'h' AS h, value->>'k' AS k FROM json_array_elements(?::json))`
	}
	manages := `(? OR (? <> '' AND u.facility_id = ? AND u.network_admin = ?))`
	manageArgs := []any{q.ManagesAll, q.ManagesFacility, q.ManagesFacility, false}
	query := `SELECT ` + staffColumns + `, COALESCE(f.name, '') AS facility_name
		FROM app_user u LEFT JOIN facility f ON f.id = u.facility_id
		WHERE (? = '' OR u.facility_id = ?) AND (? = '' OR u.profession = ?) AND (? = '' OR u.status = ?)
		  AND (u.status = 'active' OR ` + manages + `)
		  AND NOT EXISTS (SELECT 1 FROM ` + termRows + ` s WHERE NOT (
		        LOWER(REPLACE(u.name, ' ', '')) LIKE s.t ESCAPE '\'
		     OR REPLACE(u.name_kana, ' ', '') LIKE s.h ESCAPE '\'
		     OR REPLACE(u.name_kana, ' ', '') LIKE s.k ESCAPE '\'
		     OR (` + manages + ` AND u.login_id LIKE s.t ESCAPE '\')))
		ORDER BY u.name_kana, u.id` + limitSQL(q.Limit)
	args := []any{q.FacilityID, q.FacilityID, q.Profession, q.Profession, q.Status, q.Status}
	args = append(args, manageArgs...)
	args = append(args, string(termsJSON))
	args = append(args, manageArgs...)
	rows := []StaffRow{}
	if err := tx.sel(ctx, &rows, query, args...); err != nil {
		return nil, err
	}
	return rows[:min(len(rows), q.Limit)], nil
}

// likePattern matches s anywhere, with LIKE's wildcards in s taken
// literally (escaped with a backslash).
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// The hiragana ぁ..ゖ and the katakana ァ..ヶ are the same letters 0x60
// apart, as are the iteration marks ゝゞ and ヽヾ.
const kanaOffset = 'ァ' - 'ぁ'

// ToKatakana turns the hiragana in s into katakana.
func ToKatakana(s string) string {
	return strings.Map(func(r rune) rune {
		if (r >= 'ぁ' && r <= 'ゖ') || r == 'ゝ' || r == 'ゞ' {
			return r + kanaOffset
		}
		return r
	}, s)
}

// ToHiragana turns the katakana in s that have a hiragana into hiragana.
func ToHiragana(s string) string {
	return strings.Map(func(r rune) rune {
		if (r >= 'ァ' && r <= 'ヶ') || r == 'ヽ' || r == 'ヾ' {
			return r - kanaOffset
		}
		return r
	}, s)
}
