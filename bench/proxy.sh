#!/usr/bin/env bash
# Issue 3 benchmark: the same real llama-server directly, through `1bit proxy`, and through nginx
# (proxy_buffering off), in one run. Small non-streaming requests at 1, 16 and 64 connections (wrk: requests/s,
# p50/p99), streaming tokens/s and time to first token (1 and 8 streams), and the proxy's resident memory.
# Usage: bench/proxy.sh [SECONDS]   (after mvn install; needs nginx, wrk, python3, and .ci/build-llama-server.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
# The machine as a whole, before this shell is pinned to part of it.
machine="$(date -u +%Y-%m-%d), $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
for tool in nginx wrk python3; do command -v $tool >/dev/null || { echo "$tool is missing (apt-get install nginx wrk)" >&2; exit 1; }; done
server=${ONEBIT_LLAMA_SERVER:-$(bash .ci/build-llama-server.sh)}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; }
trap cleanup EXIT
. bench/lib.sh

tiny_gguf "$work/tiny.gguf"
# A wider, deeper random model (384 x 12 layers): it streams at a few hundred tokens/s on one core, nearer a real
# model's speed than the tiny one's thousands.
tiny_gguf "$work/mid.gguf" 7 384 12 2048

backend=$(free_port); proxy=$(free_port); nginx_port=$(free_port); backend2=$(free_port); nginx_port2=$(free_port)
# One CPU thread for the backend by default: on a Strix Halo llama-server computes on the GPU and leaves the CPU
# mostly idle, while here a CPU backend with -t 2 spins on both of this machine's two cores and starves whatever
# else runs (LLAMA_THREADS=2 measures that contended case). For the same reason the backends get CPU 0 to
# themselves (PIN=1, the default on 2 or more CPUs), and everything else (1bit proxy, nginx, wrk, the stream
# clients) shares the other CPUs: the iGPU that computes the tokens on a Strix Halo is not a CPU the proxy takes
# turns on. Both proxies are measured the same way; PIN=0 lets everything share every CPU.
backend_cpu=()
ncpu=$(nproc)
if [ "${PIN:-1}" = 1 ] && [ "$ncpu" -ge 2 ]; then
  backend_cpu=(taskset -c 0)
  taskset -pc "1-$((ncpu - 1))" $$ >/dev/null  # this shell, and so every process it starts from here on
fi
"${backend_cpu[@]}" "$server" --host 127.0.0.1 --port "$backend" -m "$work/tiny.gguf" --alias tiny -c 8192 -np 8 -t "${LLAMA_THREADS:-1}" --no-warmup \
  >"$work/llama.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$backend/health"
"${backend_cpu[@]}" "$server" --host 127.0.0.1 --port "$backend2" -m "$work/mid.gguf" --alias mid -c 8192 -np 8 -t "${LLAMA_THREADS:-1}" --no-warmup \
  >"$work/llama-mid.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$backend2/health"

mkdir -p "$work/config/1bit"
cat >"$work/config/1bit/registry.yaml" <<YAML
proxy: {host: 127.0.0.1, port: $proxy}
defaultBackend: llama
backends:
  - {name: llama, kind: openai, url: "http://127.0.0.1:$backend", priority: 100, enabled: true}
  - {name: mid, kind: openai, url: "http://127.0.0.1:$backend2", priority: 100, enabled: true}
YAML
XDG_CONFIG_HOME="$work/config" ./bin/1bit proxy --max-concurrent 64 --queue 256 >"$work/proxy.log" 2>&1 & pids+=($!)
proxy_pid=$!
wait_http "http://127.0.0.1:$proxy/health"

cat >"$work/nginx.conf" <<NGINX
daemon on; pid $work/nginx.pid; error_log $work/nginx-error.log; worker_processes 1;
events { worker_connections 1024; }
http {
  access_log $work/nginx-access.log;  # the proxy writes one access-log line per request too
  upstream llama { server 127.0.0.1:$backend; keepalive 64; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / { proxy_pass http://llama; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
  upstream mid { server 127.0.0.1:$backend2; keepalive 64; }
  server {
    listen 127.0.0.1:$nginx_port2;
    location / { proxy_pass http://mid; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
}
NGINX
nginx -c "$work/nginx.conf"
wait_http "http://127.0.0.1:$nginx_port/health"

declare -A url=([direct]="http://127.0.0.1:$backend/v1" [1bit]="http://127.0.0.1:$proxy/v1" [nginx]="http://127.0.0.1:$nginx_port/v1")
declare -A url2=([direct]="http://127.0.0.1:$backend2/v1" [1bit]="http://127.0.0.1:$proxy/v1" [nginx]="http://127.0.0.1:$nginx_port2/v1")
until curl -sf "http://127.0.0.1:$proxy/v1/models" | grep -q '"mid"'; do sleep 0.2; done
# Warm-up, unmeasured: the JVM's JIT (C2, as bin/1bit runs the proxy) compiles the proxy's hot paths, as in a proxy
# that has been up for a while (measured: C2 still takes about half the proxy's CPU 20 s into streaming, and little
# after 30 s); nginx needs none.
for t in direct nginx; do wrk -t 2 -c 16 -d 3s -s bench/post.lua "${url[$t]}/completions" >/dev/null; done
for c in 1 16 64; do wrk -t 1 -c $c -d 8s -s bench/post.lua "${url[1bit]}/completions" >/dev/null; done
warm_until=$((SECONDS + ${WARM_STREAM_SECONDS:-30}))
while [ $SECONDS -lt $warm_until ]; do
  python3 bench/stream_client.py "${url[1bit]}" tiny 8 400 >/dev/null
  python3 bench/stream_client.py "${url2[1bit]}" mid 8 50 >/dev/null
done
for t in direct nginx; do python3 bench/stream_client.py "${url2[$t]}" mid 8 50 >/dev/null; done

# CPU time (user + system, clock ticks) of the proxy's JVM and of nginx's worker, for CPU per request and per token:
# mark before a measurement, spent TARGET after it (empty for direct, which has no relay).
nginx_worker=$(pgrep -f "nginx: worker process" | head -1)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
mark() { proxy0=$(cpu_ticks "$proxy_pid"); nginx0=$(cpu_ticks "$nginx_worker"); }
spent() {
  case $1 in
    1bit) echo $(( $(cpu_ticks "$proxy_pid") - proxy0 )) ;;
    nginx) echo $(( $(cpu_ticks "$nginx_worker") - nginx0 )) ;;
  esac
}

# Every measurement runs ROUNDS times (default 3), the targets interleaved within a round so that a slow spell of
# this shared 2-core VM falls on all three alike; the tables give each cell's median over the rounds.
rounds=${ROUNDS:-3}
raw=$work/raw.tsv
for r in $(seq "$rounds"); do
  # The order rotates from round to round: whoever goes first meets a backend that has idled (measured: direct,
  # always first, had 3x the time to first token of the proxies on the 384 x 12 model).
  order=$(round_order "$r")
  for c in 1 16 64; do
    for t in $order; do
      mark
      o=$(wrk -t "$([ "$c" -lt 2 ] && echo 1 || echo 2)" -c "$c" -d "${secs}s" --latency -s bench/post.lua "${url[$t]}/completions")
      ticks=$(spent "$t")
      printf 'wrk\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$t" "$(awk '/Requests\/sec/ {print $2}' <<<"$o")" \
        "$(awk '$1=="50%" {print $2}' <<<"$o")" "$(awk '$1=="99%" {print $2}' <<<"$o")" "$ticks" \
        "$(awk '/requests in/ {print $1}' <<<"$o")" >>"$raw"
    done
  done
  # Streaming cells: MODEL STREAMS TOKENS SUBRUNS. Up to 900 tokens a stream (about 1000 of context per slot: -c 8192,
  # -np 8). A cell runs SUBRUNS times per round, the three targets interleaved (d 1 n d 1 n ...), each sub-run
  # paired with the other targets' sub-run next to it: the tiny model's single stream lasts half a second, where
  # one hiccup of this VM weighs several percent; eight streams of the 384 x 12 model take 200 tokens (about 5 s).
  for spec in "tiny 1 900 5" "tiny 8 900 2" "mid 1 450 2" "mid 8 200 1"; do
    read -r model s tokens subs <<<"$spec"
    for _ in $(seq "$subs"); do
      for t in $order; do
        [ $model = tiny ] && u=${url[$t]} || u=${url2[$t]}
        mark
        j=$(python3 bench/stream_client.py "$u" "$model" "$s" "$tokens")
        printf 'stream\t%s\t%s\t%s\t%s\t%s\t%s\n' "$model" "$s" "$t" "$j" "$(spent "$t")" "$((s * tokens))" >>"$raw"
      done
    done
  done
  # Time to first token on its own: many single short streams (2 tokens) of the 384 x 12 model, the targets
  # interleaved, each paired with direct's next to it; the cells above have 6 samples of a 1-stream TTFT a target,
  # too few beside the backend's own spread (several ms between slots with and without the prompt cached).
  for _ in $(seq "${TTFT_SUBS:-15}"); do
    for t in $order; do
      printf 'ttft\t%s\t%s\n' "$t" "$(python3 bench/stream_client.py "${url2[$t]}" mid 1 2)" >>"$raw"
    done
  done
done

mkdir -p bench/results
out=bench/results/proxy.md
{
  echo "# Proxy beside nginx and direct, real llama-server backends ($machine)"
  echo
  python3 bench/proxy_report.py "$raw" "$rounds" "$(getconf CLK_TCK)"
  echo
  echo "1bit proxy resident memory after the load: $(( $(ps -o rss= -p "$proxy_pid") / 1024 )) MB"
  echo
  echo "Reproduce: bash bench/proxy.sh $secs   (ROUNDS=$rounds; backend threads: LLAMA_THREADS=${LLAMA_THREADS:-1}; backends on their own CPU: PIN=${PIN:-1})"
} | tee "$out"
