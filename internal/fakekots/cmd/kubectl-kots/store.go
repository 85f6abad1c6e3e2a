package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// What kotsadm keeps in its database, the fake keeps in one Secret per app
// (a Secret because config values hold passwords).
const (
	appSecretPrefix = "fakekots-app-"
	appLabel        = "fakekots.ferry.sh/app"
	appDataKey      = "app.json"
)

// Version statuses (pkg/store/types/constants.go).
const (
	statusPendingConfig = "pending_config"
	statusPending       = "pending"
	statusDeploying     = "deploying"
	statusDeployed      = "deployed"
)

// App states (pkg/appstate/types/types.go).
const (
	stateReady       = "ready"
	stateUpdating    = "updating"
	stateUnavailable = "unavailable"
	stateMissing     = "missing"
)

type app struct {
	Slug     string    `json:"slug"`
	License  string    `json:"license"`
	Versions []version `json:"versions"`
}

type version struct {
	Sequence        int64                  `json:"sequence"`
	VersionLabel    string                 `json:"versionLabel"`
	UpdateCursor    string                 `json:"updateCursor"`
	Source          string                 `json:"source"`
	CreatedOn       time.Time              `json:"createdOn"`
	Status          string                 `json:"status"` // as stored; "deploying" turns "deployed" at ReadyAt
	DeployStartedAt *time.Time             `json:"deployStartedAt,omitempty"`
	ReadyAt         *time.Time             `json:"readyAt,omitempty"`
	Items           []configItem           `json:"items"`
	Preflights      []preflightCheck       `json:"preflights,omitempty"`
	Values          map[string]configValue `json:"values"`
}

// status is the version's status now.
func (v version) status(now time.Time) string {
	if v.Status == statusDeploying && v.ReadyAt != nil && !now.Before(*v.ReadyAt) {
		return statusDeployed
	}
	return v.Status
}

// deployedAt is when the deploy finished, nil while it runs.
func (v version) deployedAt(now time.Time) *time.Time {
	if v.status(now) == statusDeployed {
		return v.ReadyAt
	}
	return nil
}

func (a *app) latest() *version {
	if len(a.Versions) == 0 {
		return nil
	}
	return &a.Versions[len(a.Versions)-1]
}

// current is the version deployed (or being deployed) last.
func (a *app) current() *version {
	for i := len(a.Versions) - 1; i >= 0; i-- {
		if a.Versions[i].DeployStartedAt != nil {
			return &a.Versions[i]
		}
	}
	return nil
}

// state is the app's status as `get apps` reports it.
func (a *app) state(now time.Time) string {
	cur := a.current()
	switch {
	case cur == nil:
		return stateMissing
	case cur.ReadyAt != nil && now.Before(*cur.ReadyAt):
		if a.deployedBefore(cur.Sequence) {
			return stateUpdating
		}
		return stateUnavailable
	}
	return stateReady
}

func (a *app) deployedBefore(seq int64) bool {
	for _, v := range a.Versions {
		if v.Sequence < seq && v.DeployStartedAt != nil {
			return true
		}
	}
	return false
}

// addVersion appends a version with the next sequence.
func (a *app) addVersion(v version) *version {
	v.Sequence = 0
	if last := a.latest(); last != nil {
		v.Sequence = last.Sequence + 1
	}
	v.CreatedOn = time.Now().UTC()
	a.Versions = append(a.Versions, v)
	return &a.Versions[len(a.Versions)-1]
}

// deploy starts deploying v; it is deployed after readyAfter.
func deploy(v *version) {
	now := time.Now().UTC()
	ready := now.Add(readyAfter())
	v.Status, v.DeployStartedAt, v.ReadyAt = statusDeploying, &now, &ready
}

func appSecretName(slug string) string { return appSecretPrefix + slug }

func loadApp(ctx context.Context, k *kube, ns, slug string) (*app, error) {
	s, err := k.cs.CoreV1().Secrets(ns).Get(ctx, appSecretName(slug), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to get app: %w", err)
	}
	return decodeApp(s)
}

func decodeApp(s *corev1.Secret) (*app, error) {
	var a app
	if err := json.Unmarshal(s.Data[appDataKey], &a); err != nil {
		return nil, fmt.Errorf("failed to read app %s: %w", s.Name, err)
	}
	return &a, nil
}

func listApps(ctx context.Context, k *kube, ns string) ([]*app, error) {
	list, err := k.cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: appLabel})
	if err != nil {
		return nil, fmt.Errorf("failed to get apps: %w", err)
	}
	var apps []*app
	for i := range list.Items {
		a, err := decodeApp(&list.Items[i])
		if err != nil {
			return nil, err
		}
		apps = append(apps, a)
	}
	sort.Slice(apps, func(i, j int) bool { return apps[i].Slug < apps[j].Slug })
	return apps, nil
}

// saveApp creates or replaces the app's record.
func saveApp(ctx context.Context, k *kube, ns string, a *app) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	secrets := k.cs.CoreV1().Secrets(ns)
	s, err := secrets.Get(ctx, appSecretName(a.Slug), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		s = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: appSecretName(a.Slug), Namespace: ns, Labels: map[string]string{appLabel: a.Slug}},
			Data:       map[string][]byte{appDataKey: data},
		}
		_, err = secrets.Create(ctx, s, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	s.Data = map[string][]byte{appDataKey: data}
	_, err = secrets.Update(ctx, s, metav1.UpdateOptions{})
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
