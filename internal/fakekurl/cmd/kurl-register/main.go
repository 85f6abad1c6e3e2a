// Command kurl-register is the part of the fake kURL installer that bash
// cannot do: it registers the "installed" cluster in the Kubernetes API
// server, as kURL's kubeadm init, kurl_config and the KOTS add-on would leave
// it. It is shipped inside the fake bundle (kurl/bin) and run by install.sh;
// all its state is in the cluster.
//
// It prints one line, KOTSADM_PASSWORD=<password>, when it created the
// Admin Console password (first install only), and nothing else on stdout.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ferry-sh/ferry/internal/fakekots/kotsadm"
)

// RunsAnnotation counts the installer runs on kurl/kurl-current-config; the
// fakekurl package reads it (fakekurl.Runs) so tests can tell whether the
// installer ran again.
const RunsAnnotation = "fakekurl.ferry.sh/runs"

// kotsadmNamespace is where kURL's KOTS add-on deploys the Admin Console
// (fakekurl.KotsadmNamespace).
const kotsadmNamespace = "default"

type options struct {
	kubeconfig        string
	privateAddress    string
	publicAddress     string
	nodeName          string
	installerID       string
	kurlVersion       string
	kubernetesVersion string
	airgap            bool
	kurlDir           string
	serviceCIDR       string
	podCIDR           string
	registry          bool   // the installer spec has the registry add-on
	registryIP        string // its Service's cluster IP, once deployed
	kotsadm           bool   // ... and the KOTS add-on
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "admin.conf written by the installer")
	flag.StringVar(&o.privateAddress, "private-address", "", "the node's private IP")
	flag.StringVar(&o.publicAddress, "public-address", "", "the node's public IP, if any")
	flag.StringVar(&o.nodeName, "node-name", "", "the Node's name (the host name, lower case)")
	flag.StringVar(&o.installerID, "installer-id", "", "kurl-config installer_id")
	flag.StringVar(&o.kurlVersion, "kurl-version", "", "kurl-current-config kurl-version")
	flag.StringVar(&o.kubernetesVersion, "kubernetes-version", "", "the kubelet version reported by the Node")
	flag.BoolVar(&o.airgap, "airgap", false, "the airgap flag was given")
	flag.StringVar(&o.kurlDir, "kurl-install-directory", "", "kurl-config kurl_install_directory")
	flag.StringVar(&o.serviceCIDR, "service-cidr", "10.96.0.0/22", "kurl-config service_cidr")
	flag.StringVar(&o.podCIDR, "pod-cidr", "10.32.0.0/20", "kurl-config pod_cidr")
	flag.BoolVar(&o.registry, "registry", false, "the installer has the registry add-on")
	flag.BoolVar(&o.kotsadm, "kotsadm", false, "the installer has the KOTS add-on")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintf(os.Stderr, "kurl-register: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	for name, v := range map[string]string{"kubeconfig": o.kubeconfig, "private-address": o.privateAddress,
		"node-name": o.nodeName, "installer-id": o.installerID, "kurl-version": o.kurlVersion,
		"kubernetes-version": o.kubernetesVersion} {
		if v == "" {
			return fmt.Errorf("-%s is required", name)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	raw, err := os.ReadFile(o.kubeconfig)
	if err != nil {
		return err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", o.kubeconfig, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	steps := []func(context.Context, kubernetes.Interface, *options, []byte) error{
		deployRegistry, writeKurlConfig, writeCurrentConfig, registerNode, deployKotsadm,
	}
	for _, step := range steps {
		if err := step(ctx, cs, &o, cfg.CAData); err != nil {
			return err
		}
	}
	if !o.kotsadm {
		return nil
	}
	password, err := ensureKotsadmPassword(ctx, cs, kotsadmNamespace)
	if err != nil {
		return err
	}
	if password != "" {
		fmt.Printf("KOTSADM_PASSWORD=%s\n", password)
	}
	return nil
}

// writeKurlConfig is kURL's kurl_config (install.sh): the ConfigMap
// kube-system/kurl-config with the keys kURL writes.
func writeKurlConfig(ctx context.Context, cs kubernetes.Interface, o *options, caPEM []byte) error {
	airgap := "0"
	if o.airgap {
		airgap = "1"
	}
	token, err := randomString(6, "abcdefghijklmnopqrstuvwxyz0123456789")
	if err != nil {
		return err
	}
	secret, err := randomString(16, "abcdefghijklmnopqrstuvwxyz0123456789")
	if err != nil {
		return err
	}
	certKey, err := randomString(64, "0123456789abcdef")
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "kurl-config", Namespace: "kube-system"},
		Data: map[string]string{
			"kurl_url":                      "",
			"installer_id":                  o.installerID,
			"ha":                            "0",
			"airgap":                        airgap,
			"ca_hash":                       caHash(caPEM),
			"docker_registry_ip":            o.registryIP,
			"kubernetes_api_address":        o.privateAddress + ":6443",
			"bootstrap_token":               token + "." + secret,
			"bootstrap_token_expiration":    now.Add(24 * time.Hour).Format(time.RFC3339),
			"cert_key":                      certKey,
			"upload_certs_expiration":       now.Add(2 * time.Hour).Format(time.RFC3339),
			"service_cidr":                  o.serviceCIDR,
			"pod_cidr":                      o.podCIDR,
			"kurl_install_directory":        o.kurlDir,
			"additional_no_proxy_addresses": "",
			"kubernetes_cis_compliance":     "0",
		},
	}
	return upsertConfigMap(ctx, cs, cm)
}

// caHash is kubeadm's discovery hash: sha256 of the CA's public key info.
func caHash(caPEM []byte) string {
	block, _ := pem.Decode(caPEM)
	if block == nil {
		return ""
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// writeCurrentConfig is kURL's kurl/kurl-current-config, moved to
// kurl/kurl-last-config on every later run, with the fake's run counter.
func writeCurrentConfig(ctx context.Context, cs kubernetes.Interface, o *options, _ []byte) error {
	if err := ensureNamespace(ctx, cs, "kurl"); err != nil {
		return err
	}
	cms := cs.CoreV1().ConfigMaps("kurl")
	runs := 1
	current, err := cms.Get(ctx, "kurl-current-config", metav1.GetOptions{})
	switch {
	case err == nil:
		n, _ := strconv.Atoi(current.Annotations[RunsAnnotation])
		runs = n + 1
		last := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kurl-last-config", Namespace: "kurl"}, Data: current.Data}
		if err := upsertConfigMap(ctx, cs, last); err != nil {
			return err
		}
	case !apierrors.IsNotFound(err):
		return err
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "kurl-current-config", Namespace: "kurl",
			Annotations: map[string]string{RunsAnnotation: strconv.Itoa(runs)}},
		Data: map[string]string{"kurl-version": o.kurlVersion},
	}
	return upsertConfigMap(ctx, cs, cm)
}

// registerNode does what the kubelet does when it joins: a Ready Node with
// the private address as its InternalIP.
func registerNode(ctx context.Context, cs kubernetes.Interface, o *options, _ []byte) error {
	nodes := cs.CoreV1().Nodes()
	now := metav1.Now()
	resources := corev1.ResourceList{
		corev1.ResourcePods:   resource.MustParse("110"),
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
	}
	status := corev1.NodeStatus{
		Capacity: resources, Allocatable: resources,
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: o.privateAddress},
			{Type: corev1.NodeHostName, Address: o.nodeName}},
		NodeInfo: corev1.NodeSystemInfo{KubeletVersion: o.kubernetesVersion, ContainerRuntimeVersion: "containerd://1.7.27"},
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: o.nodeName, Labels: map[string]string{
			"kubernetes.io/hostname": o.nodeName, "node-role.kubernetes.io/control-plane": ""}},
		Status: status,
	}
	existing, err := nodes.Get(ctx, o.nodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = nodes.Create(ctx, node, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	existing.Status = status
	_, err = nodes.UpdateStatus(ctx, existing, metav1.UpdateOptions{})
	return err
}

// deployKotsadm stands for kURL's KOTS add-on: kotsadm in namespace
// default (addons/kotsadm/1.86.0/install.sh:209), never the app's.
func deployKotsadm(ctx context.Context, cs kubernetes.Interface, o *options, _ []byte) error {
	if !o.kotsadm {
		return nil
	}
	return kotsadm.Deploy(ctx, cs, kotsadmNamespace)
}

// ensureKotsadmPassword is KOTS's kotsadm_secret_password: on first install
// it generates a 9-character password and stores its bcrypt hash in the
// kotsadm-password Secret; when the Secret exists it returns "".
func ensureKotsadmPassword(ctx context.Context, cs kubernetes.Interface, ns string) (string, error) {
	secrets := cs.CoreV1().Secrets(ns)
	_, err := secrets.Get(ctx, "kotsadm-password", metav1.GetOptions{})
	if err == nil {
		return "", nil
	}
	if !apierrors.IsNotFound(err) {
		return "", err
	}
	password, err := randomString(9, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
	if err != nil {
		return "", err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "kotsadm-password", Namespace: ns, Labels: map[string]string{"kots.io/kotsadm": "true"}},
		Data:       map[string][]byte{"passwordBcrypt": hash},
	}
	if _, err := secrets.Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	return password, nil
}

func ensureNamespace(ctx context.Context, cs kubernetes.Interface, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	_, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func upsertConfigMap(ctx context.Context, cs kubernetes.Interface, cm *corev1.ConfigMap) error {
	cms := cs.CoreV1().ConfigMaps(cm.Namespace)
	existing, err := cms.Get(ctx, cm.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	existing.Data, existing.Annotations = cm.Data, cm.Annotations
	_, err = cms.Update(ctx, existing, metav1.UpdateOptions{})
	return err
}

func randomString(n int, alphabet string) (string, error) {
	out := make([]byte, n)
	for i := range out {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", err
		}
		out[i] = alphabet[k.Int64()]
	}
	return string(out), nil
}
