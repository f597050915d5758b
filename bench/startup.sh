#!/usr/bin/env bash
# Issue 2 benchmark: wall time of `1bit toolbox list --json` and `1bit doctor --json` against
# `podman ps --format json`, with and without the Java 25 AOT cache, in one hyperfine run.
# Usage: bench/startup.sh [RUNS]      (root, Podman configured by .ci/setup-podman.sh, after mvn package)
# Writes bench/results/startup.md and .json.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt-get install hyperfine" >&2; exit 1; }
mkdir -p bench/results
bash bench/train-aot.sh
# A Podman socket that answers, as on a host with podman.socket enabled.
sock=$(mktemp -d)/podman.sock
podman system service --time=0 "unix://$sock" & svc=$!
trap 'kill $svc 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
export ONEBIT_PODMAN_SOCKET=$sock
hyperfine -N -i --warmup 3 --runs "$runs" \
  --export-markdown bench/results/startup.md --export-json bench/results/startup.json \
  -n 'podman ps --format json' 'podman ps --format json' \
  -n 'toolbox list --json (no AOT)' 'env ONEBIT_AOT=0 ./bin/1bit toolbox list --json' \
  -n 'toolbox list --json (AOT)' './bin/1bit toolbox list --json' \
  -n 'doctor --json (no AOT)' 'env ONEBIT_AOT=0 ./bin/1bit doctor --json' \
  -n 'doctor --json (AOT)' './bin/1bit doctor --json'
python3 - <<'PY'
import json
r = {x["command"]: x["mean"] for x in json.load(open("bench/results/startup.json"))["results"]}
base = r["podman ps --format json"]
print("\nratio to `podman ps --format json` (mean wall time):")
for name, mean in r.items():
    print(f"  {name:32s} {mean*1000:8.1f} ms  x{mean/base:5.2f}")
PY
