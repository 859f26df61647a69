#!/usr/bin/env bash
# Starts and stops the real control plane of qpilot's end-to-end tests with kwokctl's binary
# runtime: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, the kwok controller
# (nodes without kubelets) and metrics-server, all on 127.0.0.1.
#   cluster.sh up [NODES]   create it with NODES nodes (3); prints the path of its env file
#   cluster.sh down         delete it
# QPILOT_E2E_WORKDIR and QPILOT_E2E_CLUSTER choose where and under which name (several can
# run side by side); QPILOT_E2E_DISABLE_QPS_LIMITS=1 lifts the controllers' API rate limits
# (for the benchmark that creates thousands of pods).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(bash "$here/build.sh" | tail -n 1)"
work="${QPILOT_E2E_WORKDIR:-${TMPDIR:-/tmp}/qpilot-e2e}"
name="${QPILOT_E2E_CLUSTER:-qpilot-e2e}"
export KWOK_WORKDIR="$work"
export PATH="$bin:$PATH"
config="$work/kwokctl.yaml"
kubeconfig="$work/kubeconfig"

case "${1:-}" in
up)
  nodes="${2:-3}"
  kwokctl delete cluster --name "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
  mkdir -p "$work"
  sed -e "s#\$BIN#$bin#g" -e "s#\$MANIFESTS#$here/manifests#g" "$here/manifests/kwokctl.yaml" >"$config"
  kwokctl -c "$config" create cluster --name "$name" --runtime binary \
    --etcd-binary "$bin/etcd" \
    --kube-apiserver-binary "$bin/kube-apiserver" \
    --kube-controller-manager-binary "$bin/kube-controller-manager" \
    --kube-scheduler-binary "$bin/kube-scheduler" \
    --kwok-controller-binary "$bin/kwok" \
    --metrics-server-binary "$bin/metrics-server" \
    --enable metrics-server \
    ${QPILOT_E2E_DISABLE_QPS_LIMITS:+--disable-qps-limits} \
    --kubeconfig "$kubeconfig" --wait 3m >"$work/kwokctl-create.log" 2>&1 ||
    { cat "$work/kwokctl-create.log" >&2; exit 1; }
  kwokctl -c "$config" --name "$name" scale node --replicas "$nodes" >"$work/kwokctl-scale.log" 2>&1
  kubectl --kubeconfig "$kubeconfig" wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io --timeout=120s >&2
  kubectl --kubeconfig "$kubeconfig" wait --for=condition=Ready node --all --timeout=60s >&2
  cat >"$work/e2e-env.json" <<JSON
{"name": "$name", "workdir": "$work", "bin": "$bin", "kubeconfig": "$kubeconfig", "kwokctlConfig": "$config", "nodes": $nodes}
JSON
  echo "$work/e2e-env.json"
  ;;
down)
  kwokctl -c "$config" delete cluster --name "$name" >/dev/null 2>&1 || kwokctl delete cluster --name "$name" >/dev/null 2>&1 || true
  ;;
*)
  echo "usage: $0 up [NODES] | down" >&2
  exit 2
  ;;
esac
