package api_test

import (
	"os"
	"testing"

	"tsunagu/internal/blob/blobtest"
)

// TestMain stops the versitygw server that the S3 variants of the
// attachment tests start on first use; tests that never ask for S3 start
// nothing.
func TestMain(m *testing.M) { os.Exit(blobtest.Main(m)) }
