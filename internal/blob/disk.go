package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Disk stores blobs as plain files under a directory: the bytes of key K at
// <dir>/data/K (so `sha256sum` of a content-addressed blob matches its key)
// and its content type at <dir>/type/K.
//
// Every write goes to a temporary file in the destination directory, is
// fsynced, renamed into place and followed by an fsync of the directory, so
// a blob survives power loss once Put returns and a crash never leaves a
// half-written blob under a key. A crash can leave ".tmp-*" files behind;
// they are never read, and SweepTemp removes them. On disk a key cannot also be a directory of other
// keys ("a/b" and "a/b/c" cannot both exist); content-addressed keys never
// collide that way.
type Disk struct {
	dir string
}

var _ Store = (*Disk)(nil)

// OpenDisk opens (creating if needed) a disk store rooted at dir.
func OpenDisk(dir string) (*Disk, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: disk dir: %w", err)
	}
	for _, sub := range []string{"data", "type"} {
		if err := mkdirAllSync(abs, sub); err != nil {
			return nil, fmt.Errorf("blob: open disk store: %w", err)
		}
	}
	return &Disk{dir: abs}, nil
}

// SweepTemp removes the temporary files of writes that a crash cut short:
// ".tmp-*" files last changed before olderThan ago (a write in progress in
// another process holds its file for well under a second). It returns how
// many it removed.
func (d *Disk) SweepTemp(olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	n := 0
	err := filepath.WalkDir(d.dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil // a directory removed meanwhile
		}
		if e.IsDir() || !strings.HasPrefix(e.Name(), ".tmp-") {
			return nil
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			if os.Remove(path) == nil {
				n++
			}
		}
		return nil
	})
	return n, err
}

func (d *Disk) dataPath(key string) string {
	return filepath.Join(d.dir, "data", filepath.FromSlash(key))
}
func (d *Disk) typePath(key string) string {
	return filepath.Join(d.dir, "type", filepath.FromSlash(key))
}

// Put implements Store. The data is written and checked first, then the
// content type, and the rename of the data file is the commit point: a
// visible blob always has its type, and a failed Put leaves nothing behind.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("%w: negative size %d", ErrSizeMismatch, size)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	parent := filepath.Dir(filepath.FromSlash(key))
	for _, sub := range []string{"data", "type"} {
		if err := mkdirAllSync(d.dir, filepath.Join(sub, parent)); err != nil {
			return fmt.Errorf("blob: put %s: %w", key, err)
		}
	}
	dataPath := d.dataPath(key)
	tmp, err := writeTemp(filepath.Dir(dataPath), &ctxReader{ctx: ctx, r: r}, size)
	if err != nil {
		if errors.Is(err, ErrSizeMismatch) || ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return err
		}
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer os.Remove(tmp) // fails harmlessly once renamed
	if err := writeFileAtomic(d.typePath(key), strings.NewReader(contentType), int64(len(contentType))); err != nil {
		return fmt.Errorf("blob: put %s: type: %w", key, err)
	}
	if err := os.Rename(tmp, dataPath); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := syncDir(filepath.Dir(dataPath)); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	return nil
}

// Get implements Store. The returned reader is an *os.File, so the API can
// serve it with http.ServeContent (range requests) without copying.
func (d *Disk) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(d.dataPath(key))
	if err != nil {
		return nil, Info{}, d.mapErr(key, err)
	}
	info, err := d.info(key, f)
	if err != nil {
		f.Close()
		return nil, Info{}, err
	}
	return f, info, nil
}

// Stat implements Store.
func (d *Disk) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	f, err := os.Open(d.dataPath(key))
	if err != nil {
		return Info{}, d.mapErr(key, err)
	}
	defer f.Close()
	return d.info(key, f)
}

func (d *Disk) info(key string, f *os.File) (Info, error) {
	fi, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() { // a directory of longer keys
		return Info{}, ErrNotFound
	}
	ct, err := os.ReadFile(d.typePath(key))
	if err != nil {
		return Info{}, fmt.Errorf("blob: stat %s: type: %w", key, err)
	}
	return Info{Size: fi.Size(), ContentType: string(ct)}, nil
}

// Delete implements Store. The data goes first, so a blob is never visible
// without its type.
func (d *Disk) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	for _, p := range []string{d.dataPath(key), d.typePath(key)} {
		fi, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("blob: delete %s: %w", key, err)
		}
		if !fi.Mode().IsRegular() {
			continue // a directory of longer keys: nothing stored under this key
		}
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("blob: delete %s: %w", key, err)
		}
		if err := syncDir(filepath.Dir(p)); err != nil {
			return fmt.Errorf("blob: delete %s: %w", key, err)
		}
	}
	return nil
}

func (d *Disk) mapErr(key string, err error) error {
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return ErrNotFound
	}
	return fmt.Errorf("blob: open %s: %w", key, err)
}

// writeFileAtomic writes exactly size bytes of r to path via a temporary
// file in the same directory: write, fsync, rename, fsync the directory.
func writeFileAtomic(path string, r io.Reader, size int64) error {
	tmp, err := writeTemp(filepath.Dir(path), r, size)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// writeTemp writes exactly size bytes of r to a new fsynced temporary file
// in dir and returns its path; on error no file is left.
func writeTemp(dir string, r io.Reader, size int64) (name string, err error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, io.LimitReader(r, size+1))
	if err != nil {
		return "", err
	}
	if n != size {
		return "", fmt.Errorf("%w: got %d or more bytes, want %d", ErrSizeMismatch, n, size)
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// mkdirAllSync creates root/rel and any missing parents, fsyncing each
// parent that gained an entry so the new directories survive power loss.
func mkdirAllSync(root, rel string) error {
	cur := root
	if err := os.MkdirAll(root, 0o700); err != nil {
		return err
	}
	for _, seg := range strings.Split(filepath.ToSlash(rel), "/") {
		if seg == "" || seg == "." {
			continue
		}
		next := filepath.Join(cur, seg)
		err := os.Mkdir(next, 0o700)
		switch {
		case err == nil:
			if err := syncDir(cur); err != nil {
				return err
			}
		case errors.Is(err, os.ErrExist):
		default:
			return err
		}
		cur = next
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// ctxReader stops a long copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
