// Package backup makes, checks and restores generations of a Tsunagu server's
// data on SQLite: a consistent copy of the database taken while the server
// runs and writes go on, the blobs (photos, thumbnails, scanned forms) that
// the copy refers to, and a manifest with the sha256 of every file, the
// schema version, row counts and the audit chain's head.
//
// A generation is one self-contained directory under the backup directory,
// named for the time it was taken (20261204T030000Z). Blobs are content-
// addressed, so a blob already in the previous generation is hard-linked
// from it instead of copied again; each generation can still be moved, write-
// protected or carried off the network on its own. With age recipients every
// file is encrypted, so a lost backup disk is no leak.
package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"tsunagu/internal/blob"
	"tsunagu/internal/store"
)

// Format is the manifest format this package writes and reads.
const Format = 1

const (
	manifestName = "manifest.json"
	databaseName = "tsunagu.db"
	blobsDir     = "blobs"
	encSuffix    = ".age"
	timeLayout   = "20060102T150405Z"
)

// Manifest describes one generation.
type Manifest struct {
	Format        int              `json:"format"`
	CreatedAt     time.Time        `json:"created_at"`
	SchemaVersion int64            `json:"schema_version"`
	Counts        map[string]int64 `json:"counts"`
	AuditHead     AuditHead        `json:"audit_head"`
	// Recipients are the age recipients the files are encrypted to; empty
	// when the generation is in the clear.
	Recipients []string `json:"recipients,omitempty"`
	Files      []File   `json:"files"`
}

// AuditHead is the audit chain's last event in the copy.
type AuditHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// File is one file of a generation. SHA256 is the sum of the bytes on disk
// (checked without any key); Plain is the sum of the content, which is the
// same unless the file is encrypted.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Plain  string `json:"plain_sha256"`
	// Key is the blob key the file restores to and ContentType its type;
	// both empty for the database.
	Key         string `json:"key,omitempty"`
	ContentType string `json:"content_type,omitempty"`
}

// Counted are the tables whose row counts a manifest carries, so a restore
// can be compared with what was backed up.
var Counted = []string{"facility", "app_user", "patient", "consent", "team_member", "record", "record_version",
	"visit", "attachment", "audit_event"}

// Options of one backup run.
type Options struct {
	// Recipients encrypt every file of the generation (age X25519 public
	// keys, "age1…"); none leaves it in the clear.
	Recipients []string
	// Keep prunes the oldest generations beyond this many; 0 keeps all.
	Keep int
	Now  func() time.Time
}

// Run makes a new generation of db (SQLite) and blobs under dir and returns
// its path. Writes may go on meanwhile: the database is copied in one read
// transaction (VACUUM INTO), and only blobs that copy refers to are taken.
func Run(ctx context.Context, db *store.DB, blobs blob.Store, dir string, o Options) (string, error) {
	if db.Engine != store.SQLite {
		return "", errors.New("backup: this command copies SQLite databases; on PostgreSQL use pg_dump or a base backup (see the README)")
	}
	recips, err := parseRecipients(o.Recipients)
	if err != nil {
		return "", err
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	prev, _ := latest(dir)
	name := now().UTC().Format(timeLayout)
	final := filepath.Join(dir, name)
	if _, err := os.Stat(final); err == nil {
		return "", fmt.Errorf("backup: generation %s exists already", name)
	}
	work, err := os.MkdirTemp(dir, ".partial-"+name+"-")
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(work) // a failed run leaves nothing behind

	snapshot := filepath.Join(work, ".snapshot.db")
	if _, err := db.SQL().ExecContext(ctx, `VACUUM INTO ?`, snapshot); err != nil {
		return "", fmt.Errorf("backup: copy the database: %w", err)
	}
	m := Manifest{Format: Format, CreatedAt: now().UTC().Truncate(time.Second), Recipients: o.Recipients}
	keys, err := describe(ctx, snapshot, &m)
	if err != nil {
		return "", err
	}
	w := writer{dir: work, recips: recips}
	f, err := w.addFile(databaseName, "", func() (io.ReadCloser, string, error) {
		rc, err := os.Open(snapshot)
		return rc, "", err
	})
	if err != nil {
		return "", err
	}
	m.Files = append(m.Files, f)
	os.Remove(snapshot)

	var reuse map[string]File // plain sha → file of the previous generation
	if prev != "" {
		if pm, err := ReadManifest(filepath.Join(dir, prev)); err == nil && slices.Equal(pm.Recipients, m.Recipients) {
			reuse = map[string]File{}
			for _, pf := range pm.Files {
				if pf.Key != "" {
					reuse[pf.Key] = pf
				}
			}
		}
	}
	for _, key := range keys {
		rel := filepath.ToSlash(filepath.Join(blobsDir, key))
		if pf, ok := reuse[key]; ok && pf.Path == w.stored(rel) {
			if err := w.link(filepath.Join(dir, prev, filepath.FromSlash(pf.Path)), pf.Path); err == nil {
				m.Files = append(m.Files, pf)
				continue
			}
		}
		f, err := w.addFile(rel, key, func() (io.ReadCloser, string, error) {
			rc, info, err := blobs.Get(ctx, key)
			return rc, info.ContentType, err
		})
		if err != nil {
			return "", fmt.Errorf("backup: blob %s: %w", key, err)
		}
		m.Files = append(m.Files, f)
	}
	if err := writeManifest(work, m); err != nil {
		return "", err
	}
	if err := syncDir(work); err != nil {
		return "", err
	}
	if err := os.Rename(work, final); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return "", err
	}
	if o.Keep > 0 {
		if err := Prune(dir, o.Keep); err != nil {
			return final, err
		}
	}
	return final, nil
}

// describe reads the schema version, row counts, audit head and referenced
// blob keys from the copied database file.
func describe(ctx context.Context, path string, m *Manifest) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("backup: open the copy: %w", err)
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&m.SchemaVersion); err != nil {
		return nil, fmt.Errorf("backup: schema version: %w", err)
	}
	m.Counts = map[string]int64{}
	for _, t := range Counted {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("backup: count %s: %w", t, err)
		}
		m.Counts[t] = n
	}
	err = db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&m.AuditHead.Seq, &m.AuditHead.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("backup: audit head: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT sha256, COALESCE(thumb_sha, '') FROM attachment
		UNION ALL SELECT sha256, COALESCE(thumb_sha, '') FROM staff_attachment`)
	if err != nil {
		return nil, fmt.Errorf("backup: attachments: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var img, thumb string
		if err := rows.Scan(&img, &thumb); err != nil {
			return nil, err
		}
		seen[blob.ContentKey(blob.KindImage, img)] = true
		if thumb != "" {
			seen[blob.ContentKey(blob.KindThumb, thumb)] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

// writer stores files of one generation, encrypted when it has recipients.
type writer struct {
	dir    string
	recips []age.Recipient
}

func (w writer) stored(rel string) string {
	if len(w.recips) > 0 {
		return rel + encSuffix
	}
	return rel
}

func (w writer) addFile(rel, key string, open func() (io.ReadCloser, string, error)) (File, error) {
	src, ct, err := open()
	if err != nil {
		return File{}, err
	}
	defer src.Close()
	f := File{Path: w.stored(rel), Key: key, ContentType: ct}
	path := filepath.Join(w.dir, filepath.FromSlash(f.Path))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return File{}, err
	}
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o400)
	if err != nil {
		return File{}, err
	}
	defer out.Close()
	onDisk := sha256.New()
	plain := sha256.New()
	counted := &countWriter{w: io.MultiWriter(out, onDisk)}
	var dst io.Writer = counted
	var enc io.WriteCloser
	if len(w.recips) > 0 {
		if enc, err = age.Encrypt(counted, w.recips...); err != nil {
			return File{}, err
		}
		dst = enc
	}
	if _, err := io.Copy(io.MultiWriter(dst, plain), src); err != nil {
		return File{}, err
	}
	if enc != nil {
		if err := enc.Close(); err != nil {
			return File{}, err
		}
	}
	if err := out.Sync(); err != nil {
		return File{}, err
	}
	f.Size, f.SHA256, f.Plain = counted.n, hex.EncodeToString(onDisk.Sum(nil)), hex.EncodeToString(plain.Sum(nil))
	return f, out.Close()
}

// link hard-links a file of the previous generation into this one.
func (w writer) link(from, rel string) error {
	to := filepath.Join(w.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return err
	}
	return os.Link(from, to)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func writeManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, manifestName)
	if err := os.WriteFile(path, append(b, '\n'), 0o400); err != nil {
		return err
	}
	sum := sha256.Sum256(append(b, '\n'))
	return os.WriteFile(path+".sha256", []byte(hex.EncodeToString(sum[:])+"  "+manifestName+"\n"), 0o400)
}

// ReadManifest reads the manifest of generation gen, checking it against
// its own checksum file.
func ReadManifest(gen string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(gen, manifestName))
	if err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	want, err := os.ReadFile(filepath.Join(gen, manifestName+".sha256"))
	if err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	sum := sha256.Sum256(b)
	if got, _, _ := strings.Cut(string(want), " "); got != hex.EncodeToString(sum[:]) {
		return m, errors.New("backup: the manifest does not match its checksum")
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("backup: manifest: %w", err)
	}
	if m.Format != Format {
		return m, fmt.Errorf("backup: manifest format %d, this version reads %d", m.Format, Format)
	}
	return m, nil
}

// Generations lists the generations under dir, oldest first.
func Generations(dir string) ([]string, error) {
	es, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var gens []string
	for _, e := range es {
		if _, err := time.Parse(timeLayout, e.Name()); err == nil && e.IsDir() {
			gens = append(gens, e.Name())
		}
	}
	sort.Strings(gens)
	return gens, nil
}

func latest(dir string) (string, error) {
	gens, err := Generations(dir)
	if err != nil || len(gens) == 0 {
		return "", err
	}
	return gens[len(gens)-1], nil
}

// Prune removes the oldest generations under dir beyond keep, and the
// leftovers of runs that died.
func Prune(dir string, keep int) error {
	gens, err := Generations(dir)
	if err != nil {
		return err
	}
	for len(gens) > keep {
		if err := removeAll(filepath.Join(dir, gens[0])); err != nil {
			return fmt.Errorf("backup: prune %s: %w", gens[0], err)
		}
		gens = gens[1:]
	}
	return nil
}

// removeAll removes a generation whose files and directories are read-only.
func removeAll(path string) error {
	filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(path)
}

func parseRecipients(list []string) ([]age.Recipient, error) {
	var rs []age.Recipient
	for _, s := range list {
		r, err := age.ParseX25519Recipient(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("backup: recipient %d is not an age public key (age1…): %w", len(rs)+1, err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
