package conn

import (
	"context"
	"os"
	"testing"

	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/transport"
)

// BenchmarkSSHRun measures one command on an open pooled connection: a new
// session, the process-group wrapper, `true`.
func BenchmarkSSHRun(b *testing.B) {
	srv := sshtest.Start(b, sshtest.Options{})
	b.Setenv("HOME", b.TempDir())
	b.Setenv("SSH_AUTH_SOCK", "")
	p := NewPool(PoolOptions{})
	defer p.Close()
	cfg, err := SSHConfigFromVars("bench", srv.Vars(0), os.DevNull)
	if err != nil {
		b.Fatal(err)
	}
	c, err := p.Get(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := c.Run(context.Background(), transport.Command{Argv: []string{"true"}}); err != nil || out.RC != 0 {
			b.Fatal(out, err)
		}
	}
}
