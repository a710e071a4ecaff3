package store

// Query helpers of a transaction: statements prepared once on SQLite,
// rows read into structs, and lists passed as one parameter.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/jmoiron/sqlx"
)

// stmt returns query prepared once on SQLite: parsing SQL was a fifth of
// the CPU of a write, and a tenth of a pull's, before statements were
// kept. The parent statement is prepared on a connection of the pool that
// no transaction holds (the writer pool's second one; the readers' spare,
// see DB.readers) and re-bound to the transaction's connection by
// database/sql, which keeps it per connection. It returns nil on
// PostgreSQL, where pgx keeps its own statement cache. Queries are the
// constant strings of this package: lists are passed as one parameter
// (inList), never spelled out.
func (tx *Tx) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if tx.engine != SQLite {
		return nil, nil
	}
	cache := &tx.db.stmts
	switch tx.pool {
	case tx.db.x:
	case tx.db.r:
		cache = &tx.db.rstmts
	default:
		return nil, nil
	}
	if st, ok := cache.Load(query); ok {
		return tx.x.StmtxContext(ctx, st.(*sqlx.Stmt)), nil
	}
	st, err := tx.pool.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := cache.LoadOrStore(query, st); loaded {
		st.Close()
		st = prev.(*sqlx.Stmt)
	}
	return tx.x.StmtxContext(ctx, st), nil
}

// stmtCtx is the context a statement runs under. In a PostgreSQL group
// (group.go) the transaction is shared: a caller that has gone gets its
// error before its next statement, but no statement runs under its
// cancellation, which would make pgx close the group's connection.
func (tx *Tx) stmtCtx(ctx context.Context) (context.Context, error) {
	if !tx.grouped {
		return ctx, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.WithoutCancel(ctx), nil
}

func (tx *Tx) get(ctx context.Context, dst any, query string, args ...any) error {
	ctx, err := tx.stmtCtx(ctx)
	if err != nil {
		return err
	}
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return err
	}
	if st != nil {
		err = st.GetContext(ctx, dst, args...)
	} else {
		err = tx.x.GetContext(ctx, dst, tx.x.Rebind(query), args...)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func (tx *Tx) sel(ctx context.Context, dst any, query string, args ...any) error {
	ctx, err := tx.stmtCtx(ctx)
	if err != nil {
		return err
	}
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return err
	}
	if st != nil {
		return st.SelectContext(ctx, dst, args...)
	}
	return tx.x.SelectContext(ctx, dst, tx.x.Rebind(query), args...)
}

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	ctx, err := tx.stmtCtx(ctx)
	if err != nil {
		return 0, err
	}
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return 0, err
	}
	var res sql.Result
	if st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = tx.x.ExecContext(ctx, tx.x.Rebind(query), args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// query runs a query for callers that scan the rows themselves.
func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, err := tx.stmtCtx(ctx)
	if err != nil {
		return nil, err
	}
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.x.QueryContext(ctx, tx.x.Rebind(query), args...)
}

// limitSQL is a LIMIT clause of at least n rows written into the
// statement's text: a bound LIMIT ? made SQLite prepare the statement
// again on every run (an eighth of a pull's change query, 7% of a
// timeline's CPU). n is rounded up to one of a few sizes (16, a multiple
// of 50 up to 200, then a power of two) so that the texts stay few; pages
// of 50 and 100 are exact. The caller stops reading at n.
func limitSQL(n int) string {
	b := 16
	switch {
	case n <= 16:
	case n <= 200:
		b = (n + 49) / 50 * 50
	default:
		for b = 256; b < n; b *= 2 {
		}
	}
	return " LIMIT " + strconv.Itoa(b)
}

// inList is the right-hand side of an IN over a list passed as one
// parameter, a JSON array of strings (jsonList): the statement's text
// stays the same whatever the list's length, so it is parsed once (and on
// PostgreSQL planned once) instead of once per list.
func (tx *Tx) inList() string {
	if tx.engine == Postgres {
		return `(SELECT json_array_elements_text(?::json))`
	}
	return `(SELECT value FROM json_each(?))`
}

// jsonList encodes ids for inList.
func jsonList(ids []string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

// Exec runs a statement in the transaction; for the few places (tools, the
// audit package) that own their SQL.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return tx.exec(ctx, query, args...)
}

// Get reads one row into dst; ErrNotFound when there is none.
func (tx *Tx) Get(ctx context.Context, dst any, query string, args ...any) error {
	return tx.get(ctx, dst, query, args...)
}

// Select reads rows into dst.
func (tx *Tx) Select(ctx context.Context, dst any, query string, args ...any) error {
	return tx.sel(ctx, dst, query, args...)
}
