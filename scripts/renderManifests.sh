#!/usr/bin/env bash
# Renders the Helm chart with its default values into deploy/manifests/qpilot.yaml, the plain
# manifests for `kubectl apply` (a Namespace first, the CRD included). The e2e suite renders
# again and fails when the file differs. Helm: $QPILOT_HELM, else the one test/e2e builds.
#   bash scripts/renderManifests.sh            # writes the file
#   bash scripts/renderManifests.sh --stdout   # prints it
set -euo pipefail
cd "$(dirname "$0")/.."
helm="${QPILOT_HELM:-}"
if [ -z "$helm" ]; then helm="$(bash test/e2e/buildHelm.sh | tail -n 1)/helm"; fi
render() {
  cat <<'HEADER'
# qpilot's plain manifests, rendered from deploy/helm/qpilot with its default values by
# scripts/renderManifests.sh; do not edit (the e2e suite checks they equal the chart's).
# kubectl apply --server-side -f deploy/manifests/qpilot.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: qpilot-system
HEADER
  "$helm" template qpilot deploy/helm/qpilot --namespace qpilot-system --kube-version 1.35.0 --include-crds
}
if [ "${1:-}" = "--stdout" ]; then render; else mkdir -p deploy/manifests && render > deploy/manifests/qpilot.yaml; fi
