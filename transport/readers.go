package transport

import (
	"context"
	"io"
)

// SourceReader remembers the error of the data being sent, so that a failing
// source (a local file that went away) is reported as such and not mistaken
// for a failing connection or host.
type SourceReader struct {
	R   io.Reader
	Err error // the source's own read error, io.EOF aside
}

func (s *SourceReader) Read(p []byte) (int, error) {
	n, err := s.R.Read(p)
	if err != nil && err != io.EOF {
		s.Err = err
	}
	return n, err
}

// ContextReader stops reading once ctx is done, so that a copy or a hash
// nobody waits for any more does not read a large file to its end.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return contextReader{ctx, r}
}

type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
