package api

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/photo"
	"tsunagu/internal/photo/phototest"
)

// TestSanitizeQueuesBeforeDecoding: with every decode slot taken, a
// request whose context ends gives up without decoding anything, and an
// image whose header is refused is answered at once, without a slot.
func TestSanitizeQueuesBeforeDecoding(t *testing.T) {
	s := &Server{opt: Options{Photo: photoLimits(photo.Limits{})}, sanitizing: make(chan struct{}, maxSanitizing)}
	for i := 0; i < maxSanitizing; i++ {
		s.sanitizing <- struct{}{} // two uploads are being decoded
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the client went away while it waited

	photoBody := phototest.JPEG(phototest.Halves(2000, 1500)) // 12 MB once decoded
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := s.sanitize(ctx, photoBody)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting request: err = %v, want context.Canceled", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("a request that never got a slot allocated %d bytes", n)
	}

	// A bomb does not queue: its refusal comes from the header, even with
	// the slots taken and the context ended.
	_, err = s.sanitize(ctx, phototest.BlankPNG(7000, 7000, true))
	if !errors.Is(err, &care.Error{Code: care.CodeImageDecodedTooLarge}) {
		t.Fatalf("bomb: err = %v, want %s", err, care.CodeImageDecodedTooLarge)
	}

	// A slot frees: the next request is decoded.
	<-s.sanitizing
	res, err := s.sanitize(context.Background(), photoBody)
	if err != nil || res.Width != 2000 {
		t.Fatalf("with a free slot: %v, width %d", err, res.Width)
	}
	if len(s.sanitizing) != maxSanitizing-1 {
		t.Errorf("the slot was not given back: %d taken", len(s.sanitizing))
	}
}
