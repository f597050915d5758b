#!/usr/bin/env bash
# Issue 5 benchmark, one run, real llama-server containers (rootful Podman, the test image built from the cached
# binary) behind `1bit proxy` with on-demand models:
#  1. cold start: a one-token request for an unloaded model through the proxy (load + first token), against the same
#     backend done by hand over the same Podman REST socket (create, start, poll /health every 10 ms, same request);
#     the difference is the proxy's overhead (target <= 150 ms). Median of N runs each.
#  2. alternating load: K wrk connections alternating per request between two models that do not fit together,
#     against the same connections on one model: requests/s and p99, as ratios.
# Usage: sudo bench/ondemand.sh [N] [K] [SECONDS]   (after mvn install; needs podman, wrk, curl, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}; conns=${2:-4}; secs=${3:-15}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
for tool in podman wrk curl python3; do command -v $tool >/dev/null || { echo "$tool is missing" >&2; exit 1; }; done
work=$(mktemp -d)
pids=()
cleanup() {
  # The proxy first, while Podman still answers: it unloads its models on the way out.
  for p in $(printf '%s\n' "${pids[@]}" | tac); do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  podman rm -f bench-direct >/dev/null 2>&1 || true
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

mvn -q -B -o dependency:build-classpath -pl orchestrator -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp.txt" >/dev/null
cp="orchestrator/target/test-classes:orchestrator/target/classes:$(cat "$work/cp.txt")"
image=$("$JAVA_HOME/bin/java" -cp "$cp" systems.onebit.orchestrator.testing.TestImagesTool | tail -1)
mkdir -p "$work/models"
"$JAVA_HOME/bin/java" -cp "$cp" systems.onebit.orchestrator.testing.TinyGgufTool "$work/models/a.gguf" 1
"$JAVA_HOME/bin/java" -cp "$cp" systems.onebit.orchestrator.testing.TinyGgufTool "$work/models/b.gguf" 2

sock="$work/podman.sock"
podman system service --time=0 "unix://$sock" >"$work/podman.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do [ -S "$sock" ] && curl -sf --unix-socket "$sock" http://d/v1.41/_ping >/dev/null && break; sleep 0.1; done

proxy=$(free_port)
mkdir -p "$work/config/1bit/toolbox-manifests"
cat >"$work/config/1bit/toolbox-manifests/cpu.yaml" <<YAML
flavor: cpu
summary: "bench: the real llama-server, CPU only"
image: $image
devices: []
groups: []
securityOpt: []
ulimits: {}
environment: {}
command: [/app/llama-server, --host, "{host}", --port, "{port}", -m, "{model}", -t, "1", --no-warmup]
defaults: {host: 127.0.0.1, port: 13305}
healthPath: /health
modelsPath: /v1/models
modelMount: /models
YAML
cat >"$work/config/1bit/registry.yaml" <<YAML
proxy: {host: 127.0.0.1, port: $proxy}
defaultBackend: ""
models:
  - {alias: a, path: "$work/models/a.gguf", context: 256, flavor: cpu, parallel: 1}
  - {alias: b, path: "$work/models/b.gguf", context: 256, flavor: cpu, parallel: 1}
backends: []
YAML
# Room for one model: each is estimated at its weights + KV cache + the 512 MiB overhead.
XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state" ONEBIT_PODMAN_SOCKET="unix://$sock" \
  ./bin/1bit proxy --memory-budget 0.75 --keepalive 60s >"$work/proxy.log" 2>&1 & pids+=($!)
proxy_pid=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$proxy/health" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$proxy"
one_token() { curl -sf -o /dev/null -H 'Content-Type: application/json' -d "{\"model\":\"$2\",\"prompt\":\"once\",\"max_tokens\":1}" "$1/v1/completions"; }

# Warm-up, unmeasured: the proxy's JIT and Podman's image cache.
for _ in 1 2 3; do one_token "$base" a; curl -sf -X POST "$base/unload" >/dev/null; done

direct_cold() {
  local port; port=$(free_port)
  local t0; t0=$(now_ms)
  local id; id=$(curl -sf --unix-socket "$sock" -H 'Content-Type: application/json' -X POST \
    "http://d/v1.41/containers/create?name=bench-direct" -d @- <<JSON
{"Image": "$image", "Cmd": ["/app/llama-server", "--host", "127.0.0.1", "--port", "$port", "-m", "/models/a.gguf", "-t", "1",
 "--no-warmup", "-c", "256", "-np", "1", "--alias", "a"],
 "HostConfig": {"NetworkMode": "host", "Init": true, "Binds": ["$work/models:/models:ro"]}}
JSON
)
  id=$(sed 's/.*"Id":"\([0-9a-f]*\)".*/\1/' <<<"$id")  # not python: its start-up alone is 300+ ms here
  curl -sf --unix-socket "$sock" -X POST "http://d/v1.41/containers/$id/start" >/dev/null
  until curl -sf -o /dev/null "http://127.0.0.1:$port/health"; do sleep 0.01; done
  local t1; t1=$(now_ms)
  one_token "http://127.0.0.1:$port" a
  local t2; t2=$(now_ms)
  echo "$((t2 - t0)) $((t1 - t0))"
  curl -sf --unix-socket "$sock" -X DELETE "http://d/v1.41/containers/$id?force=true" >/dev/null
}

proxy_cold() {
  curl -sf -X POST "$base/unload" >/dev/null
  local t0; t0=$(now_ms)
  one_token "$base" a
  local t1; t1=$(now_ms)
  one_token "$base" a
  local t2; t2=$(now_ms)
  # cold total, the load time the proxy measured itself (create to healthy), and a warm request's time
  echo "$((t1 - t0)) $(curl -sf "$base/running" | sed 's/.*"loadMillis":\([0-9]*\).*/\1/') $((t2 - t1))"
}

: >"$work/direct.txt"; : >"$work/proxy.txt"
for _ in $(seq "$runs"); do
  direct_cold >>"$work/direct.txt"
  proxy_cold >>"$work/proxy.txt"
done
d_total=$(cut -d' ' -f1 "$work/direct.txt" | median)
d_load=$(cut -d' ' -f2 "$work/direct.txt" | median)
p_total=$(cut -d' ' -f1 "$work/proxy.txt" | median)
p_load=$(cut -d' ' -f2 "$work/proxy.txt" | median)
p_inner=$(awk '{print $1 - $2 - $3}' "$work/proxy.txt" | median)

# Alternating load: warm model a first, then each connection alternates a, b; then everyone on a.
wrk_run() { MODELS="$1" wrk -t 1 -c "$conns" -d "${secs}s" --timeout 60s --latency -s bench/alternate.lua "$base/v1/completions"; }
one_token "$base" a
alt=$(wrk_run "a,b")
# Requests wrk gave up on at the end still wait in the proxy (a waiting non-streaming client cannot be seen leaving):
# let them finish before the next run, or their swaps would land in it.
for _ in $(seq 300); do
  curl -sf "$base/running" | grep -q '"inFlight":[1-9]' || { sleep 1; curl -sf "$base/running" | grep -q '"inFlight":[1-9]' || break; }
  sleep 0.1
done
one_token "$base" a
single=$(wrk_run "a")
backend_url=$(curl -sf "$base/running" | sed 's/.*"url":"\([^"]*\)".*/\1/')
direct=$(MODELS=a wrk -t 1 -c "$conns" -d "${secs}s" --timeout 60s --latency -s bench/alternate.lua "$backend_url/v1/completions")
rps() { awk '/Requests\/sec/ {print $2}' <<<"$1"; }
p99() { awk '$1=="99%" {v=$2; if (v ~ /ms$/) {sub(/ms$/,"",v); print v} else if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else {sub(/s$/,"",v); print v*1000}}' <<<"$1"; }
swaps=$(curl -sf "$base/running" | python3 -c 'import json,sys; print(json.load(sys.stdin)["evictions"])')

mkdir -p bench/results
out=bench/results/ondemand.md
{
  echo "Cold start, one-token completion for an unloaded model (median of $runs; ms):"
  echo
  echo "| path | request to first token | of which load (create, start, healthy) |"
  echo "|---|---|---|"
  echo "| by hand over the Podman REST socket | $d_total | $d_load |"
  echo "| through 1bit proxy (on demand) | $p_total | $p_load (the proxy's own measure) |"
  echo
  echo "Proxy overhead on a cold start (target <= 150 ms):"
  echo "- against the load done by hand: $(python3 -c "print('%.0f ms' % ($p_total - $d_total))")"
  echo "- cold request time less the proxy's measured load time and a warm request's time: $p_inner ms"
  echo
  echo "Alternating load, $conns connections, ${secs} s, models that do not fit together ($swaps swaps):"
  echo
  echo "| load | requests/s | p99 ms |"
  echo "|---|---|---|"
  echo "| alternating a, b | $(rps "$alt") | $(p99 "$alt") |"
  echo "| one model | $(rps "$single") | $(p99 "$single") |"
  echo "| one model, straight to its backend (no proxy) | $(rps "$direct") | $(p99 "$direct") |"
  echo
  echo "Ratios alternating / one model: requests/s $(python3 -c "print('%.3f' % ($(rps "$alt") / $(rps "$single")))"), p99 $(python3 -c "print('%.1f' % ($(p99 "$alt") / $(p99 "$single")))")x"
  echo
  echo "Reproduce: sudo bash bench/ondemand.sh $runs $conns $secs"
} | tee "$out"
