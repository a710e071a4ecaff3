// Package blob stores opaque byte objects (sanitized photos, thumbnails,
// scanned forms) under string keys, on local disk or in any S3-compatible
// store, and signs the short-lived download URLs the API serves them under.
//
// Blobs hold clinical data. Neither backend ever lists keys or exposes them
// to clients; the API decides who may read which key, and a Signer makes
// the download URL it hands out expire.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

var (
	// ErrNotFound: no blob is stored under the key.
	ErrNotFound = errors.New("blob: not found")
	// ErrInvalidKey: the key breaks the rules of ValidateKey.
	ErrInvalidKey = errors.New("blob: invalid key")
	// ErrSizeMismatch: the reader given to Put did not yield exactly the
	// declared number of bytes. Nothing was stored under a new key.
	ErrSizeMismatch = errors.New("blob: size mismatch")
)

// Info describes a stored blob.
type Info struct {
	Size        int64
	ContentType string
}

// Store keeps blobs. Both implementations (Disk, S3) pass the same
// conformance suite in package blobtest. All methods return ErrInvalidKey
// for a key that ValidateKey refuses, before any I/O.
type Store interface {
	// Put stores exactly size bytes read from r under key, replacing any blob
	// already there; putting the same key again is not an error, so an upload
	// that was interrupted after Put can simply be retried. The blob becomes
	// visible whole or not at all, and is durable when Put returns nil. If r
	// yields fewer or more than size bytes, Put returns ErrSizeMismatch.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the blob for reading; the caller closes it. The reader also
	// implements io.Seeker, so the API can answer range requests with
	// http.ServeContent. Returns ErrNotFound when nothing is stored under key.
	Get(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Stat describes the blob. Returns ErrNotFound when nothing is stored
	// under key.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the blob. Deleting a key that holds nothing is not an
	// error.
	Delete(ctx context.Context, key string) error
}

// MaxKeyLen bounds keys well below the 1024 bytes S3 allows, and below
// common file-name limits once split into path segments.
const MaxKeyLen = 512

// ValidateKey returns ErrInvalidKey unless key is a relative slash-separated
// path such as "att/ab/abcdef…": segments of lowercase ASCII letters, digits,
// '-', '_' and '.', none empty, none starting with '.', so no "..", no
// leading or trailing slash, and no name that could clash with the Disk
// store's hidden temporary files. The same rule holds for every backend, so
// a key that works on disk works on S3 and the other way round.
func ValidateKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: length %d", ErrInvalidKey, len(key))
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" {
			return fmt.Errorf("%w: empty segment in %q", ErrInvalidKey, key)
		}
		if seg[0] == '.' {
			return fmt.Errorf("%w: segment starts with '.' in %q", ErrInvalidKey, key)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
				return fmt.Errorf("%w: character %q in %q", ErrInvalidKey, c, key)
			}
		}
	}
	return nil
}

// Kinds of content-addressed blob: a sanitized image and its thumbnail.
const (
	KindImage = "att"
	KindThumb = "thumb"
)

// ContentKey is the key of a content-addressed blob: kind/<sha[0:2]>/<sha>,
// where sha is the hex SHA-256 of the stored bytes. The API stores photos
// under it and backups find them by it.
func ContentKey(kind, sum string) string { return kind + "/" + sum[:2] + "/" + sum }
