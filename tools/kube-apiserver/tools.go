//go:build tools

// Package tools pins k8s.io/kubernetes/cmd/kube-apiserver as a dependency of
// this nested module; build.sh compiles it. The build tag keeps it out of
// every ordinary build.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
