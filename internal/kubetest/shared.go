package kubetest

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// shared is the one cluster per test binary behind Shared.
var shared struct {
	mainRunning bool // set by Main before the tests run
	once        sync.Once
	cluster     *Cluster
	err         error
	dir         string
}

// Main runs the package's tests and then stops the shared cluster, if one was
// started. Call it from TestMain:
//
//	func TestMain(m *testing.M) { kubetest.Main(m) }
func Main(m *testing.M) {
	shared.mainRunning = true
	code := m.Run()
	stopShared()
	os.Exit(code)
}

func stopShared() {
	if shared.cluster != nil {
		shared.cluster.stop()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
}

// Shared returns the test binary's shared cluster, starting it on first use.
// Tests on it run against one API server, so each must use its own namespace
// (see Namespace), and tests that list cluster-scoped objects such as Nodes
// must not run in parallel with tests that create them. Its logs live in a
// temporary directory (Cluster.Dir) removed by Main.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if !shared.mainRunning {
		t.Fatalf("kubetest.Shared needs the package's TestMain to call kubetest.Main, which stops the cluster: func TestMain(m *testing.M) { kubetest.Main(m) }")
	}
	bins := requireBinaries(t)
	shared.once.Do(func() { startShared(t, bins) })
	if shared.err != nil {
		t.Fatalf("kubetest: shared cluster: %v", shared.err)
	}
	return shared.cluster
}

func startShared(t testing.TB, bins binaries) {
	dir, err := os.MkdirTemp("", "kubetest-")
	if err != nil {
		shared.err = fmt.Errorf("create a temporary directory: %w", err)
		return
	}
	shared.dir = dir
	began := time.Now()
	shared.cluster, shared.err = startCluster(dir, bins, Options{})
	if shared.err == nil {
		t.Logf("kubetest: shared kube-apiserver %s ready at %s in %s (logs in %s)",
			KubeVersion, shared.cluster.Host, time.Since(began).Round(time.Millisecond), dir)
	}
}
