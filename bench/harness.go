package main

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// harness is the sshtest.TB of this program: Fatalf stops it, after running
// the cleanups (which stop the test sshd by pid), so that nothing is left
// behind on an error.
type harness struct {
	mu       sync.Mutex
	cleanups []func()
}

// stopOnSignal runs the cleanups on Ctrl-C or SIGTERM before exiting.
func (h *harness) stopOnSignal() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		h.Fatalf("stopped by %s", s)
	}()
}

func (h *harness) Helper() {}

func (h *harness) Cleanup(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cleanups = append(h.cleanups, f)
}

func (h *harness) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ferry-bench: "+format+"\n", args...)
	h.close()
	os.Exit(1)
}

func (h *harness) Skipf(format string, args ...any) { h.Fatalf(format, args...) }

// close runs the cleanups, last registered first, as testing does.
func (h *harness) close() {
	h.mu.Lock()
	fs := h.cleanups
	h.cleanups = nil
	h.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}
