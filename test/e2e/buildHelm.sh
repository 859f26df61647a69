#!/usr/bin/env bash
# Builds helm from its Go module for the chart's end-to-end checks, once per pinned version:
# cached under ~/.cache/qpilot-e2e/helm-<key>/bin, <key> hashing tools/helm's go.mod, go.sum
# and this script (apart from build.sh's cache, so that a new helm does not rebuild
# Kubernetes). Prints the bin directory on its last line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
key=$(cat "$here/tools/helm/go.mod" "$here/tools/helm/go.sum" "$0" | sha256sum | cut -c1-12)
cache="${QPILOT_E2E_CACHE:-$HOME/.cache/qpilot-e2e}"
bin="$cache/helm-$key/bin"
if [ -f "$bin/.complete" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$bin"
command -v go >/dev/null || { echo "buildHelm.sh: Go is needed to build helm (go.dev/dl)" >&2; exit 1; }
version=$(cd "$here/tools/helm" && go list -m -f '{{.Version}}' helm.sh/helm/v3)
echo "buildHelm.sh: building helm $version (this takes minutes the first time)" >&2
(cd "$here/tools/helm" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -trimpath" go build \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" -o "$bin/helm" helm.sh/helm/v3/cmd/helm) >&2
"$bin/helm" version --short >&2
touch "$bin/.complete"
echo "$bin"
