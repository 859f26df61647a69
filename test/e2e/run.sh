#!/usr/bin/env bash
# `npm run test:e2e`: builds the control plane if it is not cached, starts it, runs the
# end-to-end suites against it, and tears it down whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash test/e2e/build.sh >/dev/null
QPILOT_HELM="$(bash test/e2e/buildHelm.sh | tail -n 1)/helm"
export QPILOT_HELM
trap 'bash test/e2e/cluster.sh down' EXIT
envfile="$(bash test/e2e/cluster.sh up 3 | tail -n 1)"
QPILOT_E2E_ENV="$envfile" npx vitest run --config vitest.e2e.config.ts "$@"
