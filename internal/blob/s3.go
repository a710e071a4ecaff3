package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config locates a bucket in any S3-compatible store (AWS, MinIO,
// versitygw). It is filled from the TSUNAGU_S3_* variables.
type S3Config struct {
	Endpoint  string // host[:port], no scheme, e.g. "s3.ap-northeast-1.amazonaws.com"
	Bucket    string
	Region    string // e.g. "ap-northeast-1"; empty lets the client discover it
	AccessKey string
	SecretKey string
	UseTLS    bool
}

// S3 stores blobs as objects of one bucket. A PUT of a whole object is
// atomic on S3, and the store answers only after it has persisted it.
type S3 struct {
	client *minio.Client
	bucket string
}

var _ Store = (*S3)(nil)

// OpenS3 connects to the store and creates the bucket if it does not exist,
// so a fresh deployment needs no manual step.
func OpenS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("blob: S3 endpoint and bucket are required")
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseTLS,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: S3 client: %w", err)
	}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("blob: S3 bucket %s: %w", cfg.Bucket, err)
	}
	if !exists {
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		// Another instance may have created it in the meantime.
		if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			return nil, fmt.Errorf("blob: create S3 bucket %s: %w", cfg.Bucket, err)
		}
	}
	return &S3{client: client, bucket: cfg.Bucket}, nil
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("%w: negative size %d", ErrSizeMismatch, size)
	}
	er := &exactReader{r: r, remaining: size}
	_, err := s.client.PutObject(ctx, s.bucket, key, er, size, minio.PutObjectOptions{ContentType: contentType})
	if er.mismatch != nil {
		// The request was aborted mid-body, so no object was written.
		return er.mismatch
	}
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	return nil
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, Info{}, s.mapErr("get", key, err)
	}
	// GetObject is lazy; Stat performs the request and reports a missing key.
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, Info{}, s.mapErr("get", key, err)
	}
	return obj, Info{Size: st.Size, ContentType: st.ContentType}, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	st, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.mapErr("stat", key, err)
	}
	return Info{Size: st.Size, ContentType: st.ContentType}, nil
}

// Delete implements Store. S3 answers success for a missing key.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return s.mapErr("delete", key, err)
	}
	return nil
}

// mapErr turns S3's "no such key" (a 404 without a body for HEAD) into
// ErrNotFound. A missing bucket stays an error: it is a misconfiguration,
// not a missing blob.
func (s *S3) mapErr(op, key string, err error) error {
	resp := minio.ToErrorResponse(err)
	if resp.Code == "NoSuchKey" || resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket" {
		return ErrNotFound
	}
	return fmt.Errorf("blob: %s %s: %w", op, key, err)
}

// exactReader yields the first size bytes of r and fails the upload with
// ErrSizeMismatch if r ends early or has more: the client would otherwise
// store a truncated blob or fail with an untyped transport error.
type exactReader struct {
	r         io.Reader
	remaining int64
	mismatch  error
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.mismatch != nil {
		return 0, e.mismatch
	}
	if e.remaining == 0 {
		var one [1]byte
		if n, _ := io.ReadFull(e.r, one[:]); n > 0 {
			e.mismatch = fmt.Errorf("%w: reader has more than the declared bytes", ErrSizeMismatch)
			return 0, e.mismatch
		}
		return 0, io.EOF
	}
	if int64(len(p)) > e.remaining {
		p = p[:e.remaining]
	}
	n, err := e.r.Read(p)
	e.remaining -= int64(n)
	if err == io.EOF && e.remaining > 0 {
		e.mismatch = fmt.Errorf("%w: reader ended %d bytes early", ErrSizeMismatch, e.remaining)
		return n, e.mismatch
	}
	if err == io.EOF {
		err = nil // the next Read checks for surplus bytes
	}
	return n, err
}
