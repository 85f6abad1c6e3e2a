package filestate_test

import (
	"testing"

	"github.com/ferry-sh/ferry/internal/modtest"
	_ "github.com/ferry-sh/ferry/modules/all" // the modules the tests run
)

func TestDocGolden(t *testing.T) {
	modtest.DocGolden(t, "copy")
}
