package command_test

import (
	"testing"

	"github.com/ferry-sh/ferry/internal/modtest"
)

func TestDocGolden(t *testing.T) {
	modtest.DocGolden(t, "command")
}
