#!/usr/bin/env bash
# Regenerates the canonical traces in traces/ from the published files kept verbatim in
# test/fixtures/traces-raw (a copy of ../shared/traces), with qpilot's own importer.
set -euo pipefail
cd "$(dirname "$0")/.."
raw=test/fixtures/traces-raw
q() { npx tsx src/cli/main.ts "$@"; }
q trace import "$raw/worldcup98-per-minute.csv" -o traces/worldcup98.csv
for f in "$raw"/reddit-2015/LoadReddit-60minutes-2015-*.csv; do
  month=$(basename "$f" .csv | sed 's/.*-2015-//')
  q trace import "$f" -o "traces/reddit-2015-$month.csv"
done
for week in 1 2; do
  q trace import "$raw/azure-vm-2019/vm_cpu_readings_week${week}_aggregated_cpu_mem.csv" -o "traces/azure-vm-2019-week$week.csv"
done
