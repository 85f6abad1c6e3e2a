package modules

import "bytes"

// LimitedBuffer keeps the first Limit bytes written to it and notes in
// Exceeded whether more came: a command's output read into memory stays
// bounded whatever the host sends. (The buffer is a field, not embedded:
// an embedded bytes.Buffer's ReadFrom would let io.Copy bypass Write.)
type LimitedBuffer struct {
	Limit    int64
	Exceeded bool
	buf      bytes.Buffer
}

func (b *LimitedBuffer) Write(p []byte) (int, error) {
	room := b.Limit - int64(b.buf.Len())
	if int64(len(p)) > room {
		b.Exceeded = true
		p = p[:max(room, 0)]
	}
	b.buf.Write(p)
	return len(p), nil // keep reading, so the command is not killed by a broken pipe
}

// Bytes returns what was kept.
func (b *LimitedBuffer) Bytes() []byte { return b.buf.Bytes() }

// String returns what was kept, as text.
func (b *LimitedBuffer) String() string { return b.buf.String() }
