package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The real CLI prompts with promptui in a loop that retries on every error
// (`for { ... if err != nil { continue } }`): with no terminal each read
// fails at once and the loop never ends. The fake prints the prompt once and
// then blocks until it is killed, which is the same to a caller; on a
// terminal it reads the answer.

// prompt asks for a line and returns it; without a terminal it never returns.
func prompt(c *invocation, label string) string {
	fmt.Fprint(c.stdout, label)
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		line, err := bufio.NewReader(f).ReadString('\n')
		if err == nil && strings.TrimSpace(line) != "" {
			return strings.TrimSpace(line)
		}
	}
	hang()
	return ""
}

// promptPassword is util.PromptForNewPassword.
func promptPassword(c *invocation) string {
	fmt.Fprint(c.stdout, "Enter a new password for the admin console (6+ characters): ")
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stdout)
		if err == nil && len(pw) >= 6 {
			return string(pw)
		}
	}
	hang()
	return ""
}

// hang blocks until a signal ends the program, as the retry loop would.
func hang() {
	waitForInterrupt()
	os.Exit(255) // promptui.ErrInterrupt: os.Exit(-1)
}

// waitForInterrupt blocks until SIGINT, SIGTERM or SIGHUP.
func waitForInterrupt() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	<-sig
	signal.Stop(sig)
}

// runResetPassword is reset-password: it always prompts; there is no flag
// for the new password (cmd/kots/cli/reset-password.go).
func runResetPassword(c *invocation) error {
	k, err := c.kube()
	if err != nil {
		return err
	}
	ns := c.namespaceOrDefault(k)
	if len(c.args) > 0 {
		ns = c.args[0]
	}
	password := promptPassword(c) // never returns without a terminal
	return changePassword(context.Background(), k, ns, password)
}

// changePassword is pkg/password ChangePassword.
func changePassword(ctx context.Context, k *kube, ns, password string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), 10)
	if err != nil {
		return err
	}
	data := map[string][]byte{"passwordBcrypt": hash, "passwordUpdatedAt": []byte(time.Now().Format(time.RFC3339))}
	secrets := k.cs.CoreV1().Secrets(ns)
	s, err := secrets.Get(ctx, "kotsadm-password", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		s = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "kotsadm-password", Namespace: ns}, Data: data}
		_, err = secrets.Create(ctx, s, metav1.CreateOptions{})
	} else if err == nil {
		s.Data = data
		delete(s.Labels, "numAttempts")
		delete(s.Labels, "lastFailure")
		_, err = secrets.Update(ctx, s, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("failed to set new password: %w", err)
	}
	sessions := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "kotsadm-sessions", Namespace: ns}, Data: map[string][]byte{}}
	_, _ = secrets.Update(ctx, sessions, metav1.UpdateOptions{})
	return nil
}
