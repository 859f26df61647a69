#!/usr/bin/env bash
# Builds the real control plane for qpilot's end-to-end tests from Go modules, once per
# version set: kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (Kubernetes
# v1.35.4), etcd 3.6.16, kwok and kwokctl 0.8.0, metrics-server 0.8.0 and Prometheus 3.5.
# The binaries are cached under ~/.cache/qpilot-e2e/<key>/bin, where <key> hashes the pinned
# go.mod and go.sum files and this script; a second run finds them and takes a second.
# Prints the bin directory on its last line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools="$here/tools"
k8s_version=v1.35.4

key=$(cat "$tools"/*/go.mod "$tools"/*/go.sum "$0" | sha256sum | cut -c1-12)
cache="${QPILOT_E2E_CACHE:-$HOME/.cache/qpilot-e2e}"
bin="$cache/$key/bin"
if [ -f "$bin/.complete" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$bin"
command -v go >/dev/null || { echo "build.sh: Go is needed to build the test cluster (go.dev/dl)" >&2; exit 1; }

export GOFLAGS="-mod=readonly -trimpath"
export CGO_ENABLED=0
ldflags="-s -w"
stamp="-X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=35 -X k8s.io/component-base/version.gitTreeState=clean"
stamp="$stamp -X k8s.io/client-go/pkg/version.gitVersion=$k8s_version -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=35"

build() { # module-dir, output dir, extra ldflags, packages...
  local dir=$1 extra=$2
  shift 2
  echo "build.sh: building $* (this takes minutes the first time)" >&2
  (cd "$tools/$dir" && go build -ldflags "$ldflags $extra" -o "$bin/" "$@") >&2
}

build kube "$stamp" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
(cd "$tools/etcd" && go build -ldflags "$ldflags" -o "$bin/etcd" go.etcd.io/etcd/server/v3) >&2
build kwok "" sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
build metrics-server "" sigs.k8s.io/metrics-server/cmd/metrics-server
build prometheus "-X github.com/prometheus/common/version.Version=3.5.0" github.com/prometheus/prometheus/cmd/prometheus

for b in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl metrics-server prometheus; do
  [ -x "$bin/$b" ] || { echo "build.sh: $b was not built" >&2; exit 1; }
done
touch "$bin/.complete"
echo "$bin"
