package kubetest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// auditPolicy records every request that may change the cluster, by anyone
// but the API server itself (its own bootstrap and leases), at Metadata
// level: who, which verb, which URI, and the answer's status.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  users: ["system:apiserver"]
- level: Metadata
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
- level: None
`

// auditArgs writes the policy and returns the kube-apiserver flags that log
// the requests it selects to audit.log (blocking mode, the log backend's
// default: an event is written before the request is answered).
func (c *Cluster) auditArgs() ([]string, error) {
	policy := filepath.Join(c.Dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return nil, fmt.Errorf("write audit policy: %w", err)
	}
	return []string{"--audit-policy-file=" + policy, "--audit-log-path=" + c.auditLog(), "--audit-log-format=json"}, nil
}

func (c *Cluster) auditLog() string { return filepath.Join(c.Dir, "audit.log") }

// Writes lists the requests that changed the cluster or tried to, oldest
// first, as "VERB URI by USER (status CODE)": a test compares the list before
// and after a dry run, which must add nothing.
func (c *Cluster) Writes() ([]string, error) {
	f, err := os.Open(c.auditLog())
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		var e struct {
			Verb       string `json:"verb"`
			RequestURI string `json:"requestURI"`
			User       struct {
				Username string `json:"username"`
			} `json:"user"`
			ResponseStatus struct {
				Code int `json:"code"`
			} `json:"responseStatus"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("audit log %s: %w", c.auditLog(), err)
		}
		out = append(out, fmt.Sprintf("%s %s by %s (status %d)", e.Verb, e.RequestURI, e.User.Username, e.ResponseStatus.Code))
	}
	return out, sc.Err()
}
