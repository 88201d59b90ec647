// Package deploy holds no code. Its tests check the deployment files
// against the code they deploy: the Kubernetes manifests (kubernetes/), the
// Prometheus rules and the Grafana dashboard (prometheus/, grafana/), the
// repository's compose.yaml and Dockerfile. They read the code's metric
// names, labels and environment variables from its source, so a rename on
// either side fails here. CI also runs promtool, docker-compose config and
// kubectl kustomize on the same files (see .ci/run).
package deploy
