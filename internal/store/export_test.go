package store

import "context"

// MigrateTo moves the schema to version v, down or up: for tests of a
// migration on data written before it.
func (db *DB) MigrateTo(ctx context.Context, v int64) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	cur, err := p.GetDBVersion(ctx)
	if err != nil {
		return err
	}
	if v < cur {
		_, err = p.DownTo(ctx, v)
	} else {
		_, err = p.UpTo(ctx, v)
	}
	return err
}
