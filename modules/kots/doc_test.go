package kots_test

import (
	"testing"

	"github.com/ferry-sh/ferry/internal/modtest"
)

// TestDocGolden: `ferry doc` of the package's modules, as their declarations
// give it (testdata/doc_NAME.golden; go test -run DocGolden -update rewrites).
func TestDocGolden(t *testing.T) {
	for _, name := range []string{"kots_upload", "kots_release"} {
		modtest.DocGolden(t, name)
	}
}
