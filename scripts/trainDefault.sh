#!/usr/bin/env bash
# Reproduces the models shipped in models/ (npm run train:default): dqn and dqn-vertical with
# seed 1 and the default settings, trained side by side, one process per core (the WASM
# backend of TensorFlow.js is single-threaded in Node; see docs/adr/0006-dqn-design.md).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
npx tsx src/cli/main.ts train --policy dqn --seed 1 --out models/dqn &
horizontal=$!
npx tsx src/cli/main.ts train --policy dqn-vertical --seed 1 --out models/dqn-vertical &
vertical=$!
wait "$horizontal"
wait "$vertical"
echo "trained models/dqn and models/dqn-vertical in $((SECONDS - start)) s"
