package store

import "context"

// Setting returns a stored server setting or ErrNotFound.
func (tx *Tx) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := tx.get(ctx, &v, `SELECT value FROM setting WHERE name = ?`, name)
	return v, err
}

// InitSetting stores value under name unless a value is already there, and
// returns the value that is kept, so that concurrent first starts of several
// instances agree on one.
func (tx *Tx) InitSetting(ctx context.Context, name, value string) (string, error) {
	if v, err := tx.Setting(ctx, name); err == nil {
		return v, nil
	}
	if _, err := tx.exec(ctx, `INSERT INTO setting (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", err
	}
	return tx.Setting(ctx, name)
}
