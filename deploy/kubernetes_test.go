package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

const k8sDir = "deploy/kubernetes"

// kustomization is the part of kustomization.yaml that taikai uses.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Labels     []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels"`
	Resources []string `json:"resources"`
	Images    []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// manifests are the objects of deploy/kubernetes, decoded strictly into the
// Kubernetes API's own Go types (the source of its OpenAPI schema): an
// unknown or misspelt field, or a value of the wrong type, fails here.
// (kubeconform checks the same against JSON schemas, but it fetches them from
// the network at run time, and CI has none.)
type manifests struct {
	kustomization
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	pdbs        map[string]*policyv1.PodDisruptionBudget
	hpas        map[string]*autoscalingv2.HorizontalPodAutoscaler
	policies    map[string]*networkingv1.NetworkPolicy
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
}

func readManifests(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{
		deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		policies: map[string]*networkingv1.NetworkPolicy{}, configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
	}
	if err := yaml.UnmarshalStrict(read(t, k8sDir+"/kustomization.yaml"), &m.kustomization); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if m.APIVersion != "kustomize.config.k8s.io/v1beta1" || m.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml: %s %s", m.APIVersion, m.Kind)
	}
	// Every manifest in the directory is a resource of the kustomization.
	files, _ := filepath.Glob(filepath.Join(root, k8sDir, "*.yaml"))
	var names []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			names = append(names, b)
		}
	}
	res := append([]string(nil), m.Resources...)
	sort.Strings(res)
	if strings.Join(res, " ") != strings.Join(names, " ") {
		t.Errorf("kustomization.yaml resources %v, want every manifest here: %v", res, names)
	}
	for _, f := range m.Resources {
		b, err := os.ReadFile(filepath.Join(root, k8sDir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range bytes.Split(b, []byte("\n---\n")) {
			m.decode(t, f, doc)
		}
	}
	return m
}

// decode adds one object, by its apiVersion and kind.
func (m *manifests) decode(t *testing.T, file string, doc []byte) {
	t.Helper()
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	strict := func(v any) {
		if err := yaml.UnmarshalStrict(doc, v); err != nil {
			t.Errorf("%s: %s: %v", file, tm.Kind, err)
		}
	}
	var meta *metav1.ObjectMeta
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		o := &appsv1.Deployment{}
		strict(o)
		m.deployments[o.Name], meta = o, &o.ObjectMeta
	case "v1 Service":
		o := &corev1.Service{}
		strict(o)
		m.services[o.Name], meta = o, &o.ObjectMeta
	case "policy/v1 PodDisruptionBudget":
		o := &policyv1.PodDisruptionBudget{}
		strict(o)
		m.pdbs[o.Name], meta = o, &o.ObjectMeta
	case "autoscaling/v2 HorizontalPodAutoscaler":
		o := &autoscalingv2.HorizontalPodAutoscaler{}
		strict(o)
		m.hpas[o.Name], meta = o, &o.ObjectMeta
	case "networking.k8s.io/v1 NetworkPolicy":
		o := &networkingv1.NetworkPolicy{}
		strict(o)
		m.policies[o.Name], meta = o, &o.ObjectMeta
	case "v1 ConfigMap":
		o := &corev1.ConfigMap{}
		strict(o)
		m.configMaps[o.Name], meta = o, &o.ObjectMeta
	case "v1 Secret":
		o := &corev1.Secret{}
		strict(o)
		m.secrets[o.Name], meta = o, &o.ObjectMeta
	default:
		t.Errorf("%s: unexpected %s %s (a test here should check it)", file, tm.APIVersion, tm.Kind)
		return
	}
	if !dns1123.MatchString(meta.Name) {
		t.Errorf("%s: %s name %q is not a DNS-1123 name", file, tm.Kind, meta.Name)
	}
}

var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// one returns the single object of a kind.
func one[T any](t *testing.T, kind string, objs map[string]*T) *T {
	t.Helper()
	if len(objs) != 1 {
		t.Fatalf("want one %s, have %d", kind, len(objs))
	}
	for _, o := range objs {
		return o
	}
	return nil
}

func matches(t *testing.T, what string, sel *metav1.LabelSelector, podLabels map[string]string) {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() || !s.Matches(labels.Set(podLabels)) {
		t.Errorf("%s: selector %v does not select the taikai pods %v", what, sel, podLabels)
	}
}

func TestKubernetesDeployment(t *testing.T) {
	m := readManifests(t)
	d := one(t, "Deployment", m.deployments)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("replicas %v, want 3", d.Spec.Replicas)
	}
	matches(t, "Deployment", d.Spec.Selector, d.Spec.Template.Labels)
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("want one container, have %d", len(pod.Containers))
	}
	c := pod.Containers[0]

	// The image is the one the kustomization sets, at a fixed tag.
	if len(m.Images) != 1 || m.Images[0].Name != c.Image || m.Images[0].NewTag == "" || m.Images[0].NewTag == "latest" {
		t.Errorf("image %q: the kustomization should set it (images: name %q) to a fixed tag, has %+v", c.Image, c.Image, m.Images)
	}
	if len(c.Args) != 1 || c.Args[0] != "serve" {
		t.Errorf("args %v, want [serve]", c.Args)
	}

	// Probes: ready is /readyz, alive is /healthz, on the container's port.
	portName := ""
	for _, p := range c.Ports {
		if p.ContainerPort == int32(atoi(t, configValue(t, m, "PORT"))) {
			portName = p.Name
		}
	}
	if portName == "" {
		t.Errorf("no container port is PORT (%s)", configValue(t, m, "PORT"))
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"readinessProbe", c.ReadinessProbe, "/readyz"}, {"livenessProbe", c.LivenessProbe, "/healthz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != portName {
			t.Errorf("%s: want GET %s on port %q, have %+v", p.name, p.path, portName, p.probe)
		}
	}

	// Resources: requests (the HPA's CPU target needs them) and limits.
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
		if req.IsZero() || lim.IsZero() || req.Cmp(lim) > 0 {
			t.Errorf("resources: %s request %s, limit %s: want both, request ≤ limit", r, req.String(), lim.String())
		}
	}

	// Locked down: non-root (the image's user), read-only root, no
	// privilege escalation, no capabilities, the runtime's seccomp profile.
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatal("want pod and container securityContext")
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod: want runAsNonRoot and a non-zero runAsUser")
	} else if uid := dockerfileUser(t); uid != "" && atoi(t, uid) != int(*psc.RunAsUser) {
		t.Errorf("pod runAsUser %d, the Dockerfile's USER %s", *psc.RunAsUser, uid)
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod: want seccompProfile RuntimeDefault")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container: want allowPrivilegeEscalation false")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("container: want readOnlyRootFilesystem true")
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Errorf("container: privileged")
	}
	if sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container: want capabilities drop [ALL], add none; have %+v", sc.Capabilities)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("pod: the bot never calls the Kubernetes API; want automountServiceAccountToken false")
	}

	// Its environment is the ConfigMap and the Secret, both defined here.
	var cms, secs []string
	for _, e := range c.EnvFrom {
		switch {
		case e.ConfigMapRef != nil:
			cms = append(cms, e.ConfigMapRef.Name)
		case e.SecretRef != nil:
			secs = append(secs, e.SecretRef.Name)
		}
	}
	if len(cms) != 1 || m.configMaps[cms[0]] == nil || len(secs) != 1 || m.secrets[secs[0]] == nil {
		t.Errorf("envFrom: want the ConfigMap %v and the Secret %v defined here, have %v and %v", keys(m.configMaps), keys(m.secrets), cms, secs)
	}
	if len(c.Env) > 0 {
		t.Errorf("env: set the environment in the ConfigMap or the Secret, not inline")
	}
}

// TestKubernetesConfig keeps the ConfigMap and Secret examples to README's
// Configuration table and the code: every variable, each one read by the
// code, secrets only in the Secret.
func TestKubernetesConfig(t *testing.T) {
	m := readManifests(t)
	c := scanCode(t)
	config := readmeConfig(t)
	cm, sec := one(t, "ConfigMap", m.configMaps), one(t, "Secret", m.secrets)
	have := map[string]string{}
	for k := range cm.Data {
		have[k] = "ConfigMap"
		if secretName(k) {
			t.Errorf("%s is a secret: put it in the Secret, not the ConfigMap", k)
		}
	}
	for k := range sec.StringData {
		if have[k] != "" {
			t.Errorf("%s is in both the ConfigMap and the Secret", k)
		}
		have[k] = "Secret"
	}
	if len(sec.Data) > 0 {
		t.Errorf("Secret: use stringData in the example")
	}
	for k := range have {
		if !config[k] {
			t.Errorf("%s: not in README's Configuration table", k)
		}
		if !c.env(k) {
			t.Errorf("%s: not a variable the code reads", k)
		}
	}
	for k := range config {
		if have[k] == "" {
			t.Errorf("%s (README's Configuration table) is in neither the ConfigMap nor the Secret example", k)
		}
	}
	if sec.StringData["REDIS_URL"] == "" {
		t.Errorf("REDIS_URL is empty: every replica would run its own embedded Redis")
	}
}

// secretName reports whether a variable holds a secret.
func secretName(k string) bool {
	for _, s := range []string{"SECRET", "TOKEN", "PASSWORD", "CONSOLE_USERS", "REDIS_URL"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

func TestKubernetesServiceBudgetScalerPolicy(t *testing.T) {
	m := readManifests(t)
	d := one(t, "Deployment", m.deployments)
	pod := d.Spec.Template
	c := pod.Spec.Containers[0]
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}

	s := one(t, "Service", m.services)
	matches(t, "Service", &metav1.LabelSelector{MatchLabels: s.Spec.Selector}, pod.Labels)
	for _, p := range s.Spec.Ports {
		if _, ok := ports[p.TargetPort.String()]; !ok {
			t.Errorf("Service port %s: targetPort %s is not a container port", p.Name, p.TargetPort.String())
		}
	}

	pdb := one(t, "PodDisruptionBudget", m.pdbs)
	matches(t, "PodDisruptionBudget", pdb.Spec.Selector, pod.Labels)
	if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
		t.Errorf("PodDisruptionBudget: set maxUnavailable or minAvailable")
	}

	hpa := one(t, "HorizontalPodAutoscaler", m.hpas)
	ref := hpa.Spec.ScaleTargetRef
	if ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
		t.Errorf("HPA: scales %+v, not the Deployment %s", ref, d.Name)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas != *d.Spec.Replicas || hpa.Spec.MaxReplicas < *hpa.Spec.MinReplicas {
		t.Errorf("HPA: minReplicas %v (want the Deployment's %d), maxReplicas %d", hpa.Spec.MinReplicas, *d.Spec.Replicas, hpa.Spec.MaxReplicas)
	}
	cpu := false
	for _, mt := range hpa.Spec.Metrics {
		cpu = cpu || mt.Type == autoscalingv2.ResourceMetricSourceType && mt.Resource != nil && mt.Resource.Name == corev1.ResourceCPU &&
			mt.Resource.Target.Type == autoscalingv2.UtilizationMetricType && mt.Resource.Target.AverageUtilization != nil
	}
	if !cpu {
		t.Errorf("HPA: want a CPU utilization target")
	}

	np := one(t, "NetworkPolicy", m.policies)
	matches(t, "NetworkPolicy", &np.Spec.PodSelector, pod.Labels)
	if strings.Join(policyTypes(np), ",") != "Egress,Ingress" {
		t.Errorf("NetworkPolicy: want policyTypes Ingress and Egress, have %v", np.Spec.PolicyTypes)
	}
	in := map[int32]bool{}
	for _, r := range np.Spec.Ingress {
		for _, p := range r.Ports {
			in[p.Port.IntVal] = true
		}
	}
	if !in[ports["http"]] || len(in) != 1 {
		t.Errorf("NetworkPolicy: ingress should allow the http port %d only, allows %v", ports["http"], in)
	}
	out := map[int32]bool{}
	for _, r := range np.Spec.Egress {
		for _, p := range r.Ports {
			out[p.Port.IntVal] = true
		}
	}
	for _, p := range []int32{53, 443, 6379} { // DNS, LINE and the marketplace, Redis
		if !out[p] {
			t.Errorf("NetworkPolicy: egress to port %d is not allowed", p)
		}
	}
}

func policyTypes(np *networkingv1.NetworkPolicy) []string {
	var out []string
	for _, p := range np.Spec.PolicyTypes {
		out = append(out, string(p))
	}
	sort.Strings(out)
	return out
}

// configValue is a variable's value in the ConfigMap, or README's default.
func configValue(t *testing.T, m *manifests, k string) string {
	t.Helper()
	if v := one(t, "ConfigMap", m.configMaps).Data[k]; v != "" {
		return v
	}
	return readmeDefault(t, k)
}

func keys[T any](m map[string]T) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
