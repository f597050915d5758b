#!/usr/bin/env bash
# Issue 21 benchmark, in network namespaces on one machine: generation tokens/s of the same tiny model on one node,
# split over two RPC workers (each in its own namespace, over veth pairs), and through a peer proxy (1bit proxy A,
# peer B in a namespace serving its own llama-server), same run. The numbers are dominated by the hops; they show
# the overhead 1bit adds next to llama.cpp's own (none for RPC: llama.cpp talks to the workers itself).
# Usage: sudo bench/cluster.sh [RUNS]   (after mvn install and .ci/build-llama-server.sh; needs ip, python3, curl)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
[ "$(id -u)" = 0 ] || { echo "bench/cluster.sh needs root (ip netns)" >&2; exit 1; }
server=${ONEBIT_LLAMA_SERVER:-$(bash .ci/build-llama-server.sh)}
rpc=$(dirname "$server")/rpc-server
work=$(mktemp -d)
tag=$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "cw1-$tag" 2>/dev/null || true
  ip netns del "cw2-$tag" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
. bench/lib.sh
machine="$(date -u +%Y-%m-%d), $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
tiny_gguf "$work/m.gguf" 7 256 4 512 >/dev/null
for i in 1 2; do
  ns=cw$i-$tag
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link add "cr$i-$tag" type veth peer name "cn$i-$tag"
  ip link set "cn$i-$tag" netns "$ns"
  ip addr add "10.233.$i.1/24" dev "cr$i-$tag"; ip link set "cr$i-$tag" up
  ip -n "$ns" addr add "10.233.$i.2/24" dev "cn$i-$tag"; ip -n "$ns" link set "cn$i-$tag" up
  ip netns exec "$ns" "$rpc" -H "10.233.$i.2" -p 50052 >"$work/w$i.log" 2>&1 & pids+=($!)
done
single=$(free_port); head=$(free_port); proxy=$(free_port)
"$server" -m "$work/m.gguf" --port "$single" -t 1 --no-warmup >"$work/single.log" 2>&1 & pids+=($!)
sleep 1
"$server" -m "$work/m.gguf" --port "$head" -t 1 --no-warmup -ngl 99 --rpc 10.233.1.2:50052,10.233.2.2:50052 >"$work/head.log" 2>&1 & pids+=($!)
# The peer: B's llama-server and proxy in namespace 1; A's proxy here with B as a peer (a private link: insecure).
ip netns exec "cw1-$tag" "$server" -m "$work/m.gguf" --host 10.233.1.2 --port 8080 -t 1 --no-warmup --alias m >"$work/b-llama.log" 2>&1 & pids+=($!)
mkdir -p "$work/b/1bit" "$work/a/1bit"
printf 'proxy: {host: 10.233.1.2, port: 13306}\ndefaultBackend: ""\nbackends:\n  - {name: local, kind: openai, url: "http://10.233.1.2:8080", priority: 100, enabled: true}\n' >"$work/b/1bit/registry.yaml"
printf 'proxy: {host: 127.0.0.1, port: %s}\ndefaultBackend: ""\nbackends:\n  - {name: b, kind: peer, url: "http://10.233.1.2:13306", priority: 200, enabled: true, apiKeyEnv: PEER_KEY, insecure: true}\n' "$proxy" >"$work/a/1bit/registry.yaml"
ip netns exec "cw1-$tag" env XDG_CONFIG_HOME="$work/b" ONEBIT_API_KEY=k-bench ./bin/1bit proxy >"$work/b-proxy.log" 2>&1 & pids+=($!)
XDG_CONFIG_HOME="$work/a" PEER_KEY=k-bench ./bin/1bit proxy >"$work/a-proxy.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$single/health"; wait_http "http://127.0.0.1:$head/health"
until curl -sf "http://127.0.0.1:$proxy/v1/models" | grep -q '"b/m"'; do sleep 0.3; done
python3 - "$runs" "$single" "$head" "$proxy" "$machine" <<'PY' | tee bench/results/cluster.md
import json, statistics, sys, time, urllib.request
runs, single, head, proxy, machine = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
def measure(port, model):
    rates, served = [], []
    for _ in range(runs + 1):
        body = json.dumps({"model": model, "temperature": 0, "max_tokens": 64, "prompt": "once upon a time"}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/completions", body, {"Content-Type": "application/json"})
        t = time.perf_counter(); doc = json.load(urllib.request.urlopen(req, timeout=300)); wall = time.perf_counter() - t
        rates.append(doc["usage"]["completion_tokens"] / wall)
        served.append(doc.get("timings", {}).get("predicted_per_second", 0))
    return statistics.median(rates[1:]), statistics.median(served[1:] or [0])  # the first run warms up
rows = [("one node", *measure(single, "m")), ("two RPC workers (namespaces)", *measure(head, "m")),
        ("through a peer proxy (namespace)", *measure(proxy, "b/m"))]
print(f"# Beyond one machine: the tiny model three ways ({machine})\n")
print(f"{runs} completions of 64 tokens each (median; a warm-up run first), temperature 0.\n")
print("| path | tokens/s at the client | tokens/s llama-server reports | ÷ one node |")
print("|---|---|---|---|")
base = rows[0][1]
for name, client, server in rows:
    print(f"| {name} | {client:.1f} | {server:.1f} | {client / base:.2f} |")
print("\nRPC moves every layer's activations over the veth pairs per token; the peer path adds two proxies and a hop.")
print("Reproduce: sudo bash bench/cluster.sh " + str(runs))
PY
