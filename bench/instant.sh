#!/usr/bin/env bash
# Issue 18 benchmark: the proxy's own cost, isolated with an instant backend (nginx answering a fixed completion with
# `return 200`): wrk POSTs at 1, 16 and 64 connections directly, through nginx (proxy_pass, keepalive) and through
# `1bit proxy`, interleaved in ROUNDS rounds. Reports requests/s, p50, added p50 over direct, and CPU per request
# of each proxy (its process's user + system time over the requests it served), with 1bit ÷ nginx ratios. The
# backend lists the model bench/post.lua asks for ("tiny"), so 1bit routes it.
# Usage: bench/instant.sh [SECONDS]   (after mvn package; needs nginx, wrk, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${ROUNDS:-3}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
for tool in nginx wrk python3 curl; do command -v $tool >/dev/null || { echo "$tool is missing (apt-get install nginx wrk)" >&2; exit 1; }; done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for c in backend front; do nginx -c "$work/$c.conf" -s stop 2>/dev/null || true; done
}
trap cleanup EXIT
. bench/lib.sh
backend=$(free_port); front=$(free_port); proxy=$(free_port)
machine="$(date -u +%Y-%m-%d), $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
# The backend gets CPU 0 to itself (it stands for a GPU server that leaves the CPU free); proxies, wrk and the rest
# share the others (PIN=0: everything shares every CPU).
pin=()
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ]; then
  pin=(taskset -c 0)
  taskset -pc "1-$(($(nproc) - 1))" $$ >/dev/null
fi
completion='{"id":"cmpl-instant","object":"text_completion","created":0,"model":"instant","choices":[{"text":" upon","index":0,"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'
cat >"$work/backend.conf" <<NGINX
daemon on; pid $work/backend.pid; error_log $work/backend-error.log; worker_processes 1;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$backend;
    default_type application/json;
    location = /v1/models { return 200 '{"object":"list","data":[{"id":"tiny","object":"model"}]}'; }
    location / { return 200 '$completion'; }
  }
}
NGINX
cat >"$work/front.conf" <<NGINX
daemon on; pid $work/front.pid; error_log $work/front-error.log; worker_processes 1;
events { worker_connections 4096; }
http {
  access_log $work/front-access.log;  # the proxy writes one access-log line per request too
  upstream instant { server 127.0.0.1:$backend; keepalive 64; }
  server {
    listen 127.0.0.1:$front;
    location / { proxy_pass http://instant; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
}
NGINX
"${pin[@]}" nginx -c "$work/backend.conf"
nginx -c "$work/front.conf"
mkdir -p "$work/config/1bit"
cat >"$work/config/1bit/registry.yaml" <<YAML
proxy: {host: 127.0.0.1, port: $proxy}
defaultBackend: instant
backends:
  - {name: instant, kind: openai, url: "http://127.0.0.1:$backend", priority: 100, enabled: true}
YAML
XDG_CONFIG_HOME="$work/config" ./bin/1bit proxy --max-concurrent 64 --queue 256 >"$work/proxy.log" 2>&1 & pids+=($!)
proxy_pid=$!
wait_http "http://127.0.0.1:$proxy/health"
until curl -sf "http://127.0.0.1:$proxy/v1/models" | grep -q '"tiny"'; do sleep 0.2; done
declare -A url=([direct]="http://127.0.0.1:$backend/v1" [nginx]="http://127.0.0.1:$front/v1" [1bit]="http://127.0.0.1:$proxy/v1")
# Warm-up, unmeasured: C2 compiles the proxy's hot paths, as in a proxy that has been up a while.
for c in 1 16 64; do wrk -t 1 -c $c -d 8s -s bench/post.lua "${url[1bit]}/completions" >/dev/null; done
wrk -t 1 -c 16 -d 3s -s bench/post.lua "${url[nginx]}/completions" >/dev/null

front_worker=$(pgrep -f "nginx: worker process" -n)  # the newest worker: the front's (started second)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
raw=$work/raw.tsv
for r in $(seq "$rounds"); do
  order=$(round_order "$r")
  for c in 1 16 64; do
    for t in $order; do
      case $t in 1bit) who=$proxy_pid ;; nginx) who=$front_worker ;; *) who="" ;; esac
      before=$([ -n "$who" ] && cpu_ticks "$who" || echo 0)
      o=$(wrk -t "$([ "$c" -lt 2 ] && echo 1 || echo 2)" -c "$c" -d "${secs}s" --latency -s bench/post.lua "${url[$t]}/completions")
      after=$([ -n "$who" ] && cpu_ticks "$who" || echo 0)
      non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$o")
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$c" "$t" "$(awk '/Requests\/sec/ {print $2}' <<<"$o")" \
        "$(awk '$1=="50%" {print $2}' <<<"$o")" "$((after - before))" "$(awk '/requests in/ {print $1}' <<<"$o")" \
        "${non2xx:-0}" >>"$raw"
    done
  done
done
mkdir -p bench/results
out=bench/results/instant.md
{
  echo "# Instant backend: the proxy's own cost ($machine)"
  echo
  python3 bench/instant_report.py "$raw" "$(getconf CLK_TCK)"
  echo
  echo "1bit proxy resident memory after the load: $(( $(ps -o rss= -p "$proxy_pid") / 1024 )) MB"
  echo
  echo "Reproduce: bash bench/instant.sh $secs   (ROUNDS=$rounds; PIN=${PIN:-1})"
} | tee "$out"
