package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"tsunagu/internal/audit"
	"tsunagu/internal/blob"
	"tsunagu/internal/store"
)

// Problem is one thing Verify found wrong with a generation.
type Problem struct {
	Path   string
	Reason string
}

func (p Problem) String() string { return p.Path + ": " + p.Reason }

// Report is what Verify checked.
type Report struct {
	Manifest Manifest
	Files    int
	Bytes    int64
	// ChainChecked is true when the copy's audit chain was verified and its
	// head compared with the manifest (needs the identities of an
	// encrypted generation).
	ChainChecked bool
	Events       int64
	Problems     []Problem
}

// Verify checks every file of generation gen against the manifest's sums
// and, when the database can be read (in the clear, or with identities),
// that the copy's audit chain is intact and ends at the manifest's head.
func Verify(ctx context.Context, gen string, identities []age.Identity) (Report, error) {
	m, err := ReadManifest(gen)
	if err != nil {
		return Report{}, err
	}
	r := Report{Manifest: m}
	for _, f := range m.Files {
		sum, n, err := fileSum(filepath.Join(gen, filepath.FromSlash(f.Path)))
		r.Files++
		r.Bytes += n
		switch {
		case err != nil:
			r.Problems = append(r.Problems, Problem{f.Path, "missing or unreadable"})
		case n != f.Size:
			r.Problems = append(r.Problems, Problem{f.Path, fmt.Sprintf("size %d, manifest says %d", n, f.Size)})
		case sum != f.SHA256:
			r.Problems = append(r.Problems, Problem{f.Path, "sha256 does not match the manifest"})
		}
	}
	if len(r.Problems) > 0 || (len(m.Recipients) > 0 && len(identities) == 0) {
		return r, nil
	}
	tmp, err := os.MkdirTemp("", "tsunagu-verify-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(tmp)
	dbPath := filepath.Join(tmp, databaseName)
	if err := extract(gen, m, databaseName, dbPath, identities); err != nil {
		r.Problems = append(r.Problems, Problem{databaseName, err.Error()})
		return r, nil
	}
	n, brk, head, err := chain(ctx, dbPath)
	if err != nil {
		r.Problems = append(r.Problems, Problem{databaseName, "cannot be opened: " + err.Error()})
		return r, nil
	}
	r.ChainChecked, r.Events = true, n
	if brk != nil {
		r.Problems = append(r.Problems, Problem{databaseName, "audit chain broken: " + brk.Error()})
	} else if head != m.AuditHead {
		r.Problems = append(r.Problems, Problem{databaseName, "audit chain head differs from the manifest"})
	}
	return r, nil
}

// chain verifies the audit chain of the database file at path.
func chain(ctx context.Context, path string) (int64, *audit.Break, AuditHead, error) {
	db, err := store.Open(ctx, path)
	if err != nil {
		return 0, nil, AuditHead{}, err
	}
	defer db.Close()
	n, brk, err := audit.Verify(ctx, db)
	if err != nil {
		return n, nil, AuditHead{}, err
	}
	var h AuditHead
	err = db.Read(ctx, func(tx *store.Tx) error {
		var row struct {
			Seq  int64  `db:"seq"`
			Hash string `db:"hash"`
		}
		if err := tx.Get(ctx, &row, `SELECT seq, hash FROM audit_head WHERE id = 1`); err != nil {
			return err
		}
		h = AuditHead(row)
		return nil
	})
	return n, brk, h, err
}

// Restore verifies generation gen and writes it into dataDir, which must be
// empty or missing: the database as dataDir/tsunagu.db and the blobs in a
// disk blob store under dataDir/blobs, each checked against its sum.
func Restore(ctx context.Context, gen, dataDir string, identities []age.Identity) (Report, error) {
	if es, err := os.ReadDir(dataDir); err == nil && len(es) > 0 {
		return Report{}, fmt.Errorf("restore: %s is not empty; restore into a new directory", dataDir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Report{}, fmt.Errorf("restore: %w", err)
	}
	r, err := Verify(ctx, gen, identities)
	if err != nil {
		return r, err
	}
	if len(r.Manifest.Recipients) > 0 && len(identities) == 0 {
		return r, errors.New("restore: the generation is encrypted; give the age identity file")
	}
	if len(r.Problems) > 0 {
		return r, fmt.Errorf("restore: the generation is damaged (%s)", r.Problems[0])
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return r, fmt.Errorf("restore: %w", err)
	}
	if err := extract(gen, r.Manifest, databaseName, filepath.Join(dataDir, databaseName), identities); err != nil {
		return r, fmt.Errorf("restore: database: %w", err)
	}
	disk, err := blob.OpenDisk(filepath.Join(dataDir, "blobs"))
	if err != nil {
		return r, fmt.Errorf("restore: %w", err)
	}
	for _, f := range r.Manifest.Files {
		if f.Key == "" {
			continue
		}
		data, err := decrypt(gen, f, identities)
		if err != nil {
			return r, fmt.Errorf("restore: %s: %w", f.Path, err)
		}
		if err := disk.Put(ctx, f.Key, bytes.NewReader(data), int64(len(data)), f.ContentType); err != nil {
			return r, fmt.Errorf("restore: %s: %w", f.Path, err)
		}
	}
	return r, nil
}

// extract writes the content of the generation's file rel to dst, checking
// the content's sum. It streams: a prefecture's database is larger than
// the memory of the machine that restores it.
func extract(gen string, m Manifest, rel, dst string, ids []age.Identity) error {
	for _, f := range m.Files {
		if f.Key == "" && strings.TrimSuffix(f.Path, encSuffix) == rel {
			src, closeSrc, err := openContent(gen, f, ids)
			if err != nil {
				return err
			}
			defer closeSrc()
			part := dst + ".part"
			out, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			h := sha256.New()
			_, err = io.Copy(io.MultiWriter(out, h), src)
			if err == nil {
				err = out.Sync()
			}
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err == nil && hex.EncodeToString(h.Sum(nil)) != f.Plain {
				err = errors.New("content sha256 does not match the manifest")
			}
			if err != nil {
				os.Remove(part)
				return err
			}
			return os.Rename(part, dst)
		}
	}
	return errors.New("not in the manifest")
}

// openContent opens a file of the generation for reading its content,
// decrypted when it is encrypted.
func openContent(gen string, f File, ids []age.Identity) (io.Reader, func(), error) {
	file, err := os.Open(filepath.Join(gen, filepath.FromSlash(f.Path)))
	if err != nil {
		return nil, nil, err
	}
	var src io.Reader = file
	if strings.HasSuffix(f.Path, encSuffix) {
		if src, err = age.Decrypt(file, ids...); err != nil {
			file.Close()
			return nil, nil, fmt.Errorf("decrypt: %w", err)
		}
	}
	return src, func() { file.Close() }, nil
}

// decrypt reads a file of the generation (a blob: a photo, a few MB at
// most) and returns its content, checked against the manifest's content
// sum.
func decrypt(gen string, f File, ids []age.Identity) ([]byte, error) {
	src, closeSrc, err := openContent(gen, f, ids)
	if err != nil {
		return nil, err
	}
	defer closeSrc()
	data, err := io.ReadAll(src)
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.Plain {
		return nil, errors.New("content sha256 does not match the manifest")
	}
	return data, nil
}

func fileSum(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// ReadIdentities parses an age identity file (AGE-SECRET-KEY-… lines).
func ReadIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return age.ParseIdentities(f)
}
