package conn

import (
	"context"
	"crypto/rand"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/transport"
)

const benchFileSize = 256 << 20

// BenchmarkSSHWrite streams 256 MiB to a real sshd on loopback and reports
// MB/s for ferry's SFTP Write and for OpenSSH's scp on the same file and
// server, and their ratio (target >= 0.9).
//
//	go test -run '^$' -bench SSHWrite -benchtime 3x ./runner/conn/
func BenchmarkSSHWrite(b *testing.B) {
	srv := sshtest.Start(b, sshtest.Options{})
	b.Setenv("HOME", b.TempDir())
	b.Setenv("SSH_AUTH_SOCK", "")
	src := benchSource(b)
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
	dst := filepath.Join(b.TempDir(), "dst")

	// ferry and scp alternate, so that both see the same machine load.
	b.SetBytes(benchFileSize)
	b.ResetTimer()
	var ferryTime, scpTime time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		f, err := os.Open(src)
		if err != nil {
			b.Fatal(err)
		}
		err = c.Write(context.Background(), dst, f, 0, 0o600)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		ferryTime += time.Since(start)
		b.StopTimer()
		scpTime += scpCopy(b, srv, src, dst+".scp")
		b.StartTimer()
	}
	ferry, scp := mbPerSec(b.N, ferryTime), mbPerSec(b.N, scpTime)
	b.ReportMetric(ferry, "ferry-MB/s")
	if scp > 0 {
		b.ReportMetric(scp, "scp-MB/s")
		b.ReportMetric(ferry/scp, "ferry/scp")
	}
}

func mbPerSec(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) * benchFileSize / 1e6 / d.Seconds()
}

func benchSource(b *testing.B) string {
	path := filepath.Join(b.TempDir(), "src")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.Reader, benchFileSize); err != nil {
		b.Fatal(err)
	}
	return path
}

// scpCopy copies the file with OpenSSH's scp (which speaks SFTP since
// OpenSSH 9.0) and returns the time it took; 0 without scp.
func scpCopy(b *testing.B, srv *sshtest.Server, src, dst string) time.Duration {
	if _, err := exec.LookPath("scp"); err != nil {
		return 0
	}
	start := time.Now()
	out, err := exec.Command("scp", "-q", "-F", os.DevNull, "-i", srv.ClientKey,
		"-o", "UserKnownHostsFile="+srv.KnownHosts, "-o", "BatchMode=yes",
		"-P", strconv.Itoa(srv.Port), src, srv.User+"@"+srv.Addrs[0]+":"+dst).CombinedOutput()
	if err != nil {
		b.Fatalf("scp: %v\n%s", err, out)
	}
	return time.Since(start)
}

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
