#!/usr/bin/env bash
# Renders the Helm chart into plain manifests for `kubectl apply` (a Namespace first):
# deploy/manifests/qpilot.yaml (the server, the chart's defaults, the CRD included) and
# deploy/manifests/qpilot-agent.yaml (seed 003's agent alone). The e2e suite renders
# again and fails when the file differs. Helm: $QPILOT_HELM, else the one test/e2e builds.
#   bash scripts/renderManifests.sh                  # writes both files
#   bash scripts/renderManifests.sh --stdout         # prints the server's
#   bash scripts/renderManifests.sh --stdout-agent   # prints the agent's
set -euo pipefail
cd "$(dirname "$0")/.."
helm="${QPILOT_HELM:-}"
if [ -z "$helm" ]; then helm="$(bash test/e2e/buildHelm.sh | tail -n 1)/helm"; fi
header() {
  cat <<HEADER
# qpilot's plain manifests ($1), rendered from deploy/helm/qpilot by scripts/renderManifests.sh;
# do not edit (the e2e suite checks they equal the chart's rendering).
# kubectl apply --server-side -f deploy/manifests/$2
apiVersion: v1
kind: Namespace
metadata:
  name: qpilot-system
HEADER
}
template() {
  "$helm" template "$1" deploy/helm/qpilot --namespace qpilot-system --kube-version 1.35.0 "${@:2}"
}
# qpilot itself, with the chart's defaults.
server() {
  header "the server, the chart's defaults" qpilot.yaml
  template qpilot --include-crds
}
# Seed 003's agent alone, for a cluster steered by a qpilot elsewhere: set CLUSTER_ID and the
# backend's URLs in the Deployment, and create the agent-credentials Secret first.
agent() {
  header "seed 003's agent" qpilot-agent.yaml
  template qpilot --set server.enabled=false --set agent.enabled=true \
    --set agent.clusterId=YOUR_CLUSTER_ID --set agent.backend.url=https://qpilot.example.com \
    --set agent.backend.wsUrl=wss://qpilot.example.com/ws
}
case "${1:-}" in
  --stdout) server ;;
  --stdout-agent) agent ;;
  *)
    mkdir -p deploy/manifests
    server > deploy/manifests/qpilot.yaml
    agent > deploy/manifests/qpilot-agent.yaml
    ;;
esac
