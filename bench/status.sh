#!/usr/bin/env bash
# Issue 4 benchmark: wall time of `1bit --version` and `1bit status` (three backends and the proxy up; everything
# down), with and without the Java 25 AOT cache, against `podman ps`, in one hyperfine run.
# Usage: bench/status.sh [RUNS]    (root; Podman configured by .ci/setup-podman.sh; after mvn package)
# The three backends are busybox httpd servers answering /health and /v1/models like llama-server (a stand-in: the
# quantity measured is 1bit's own start-up and probing, not a backend's speed). Writes bench/results/status.md/.json.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt-get install hyperfine" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "busybox is missing: apt-get install busybox-static" >&2; exit 1; }
mkdir -p bench/results
work=$(mktemp -d)
pids=()
cleanup() {
  XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state ONEBIT_SYSTEMD=none ./bin/1bit down >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# A Podman socket that answers, as on a host with podman.socket enabled.
sock=$work/podman.sock
podman system service --time=0 "unix://$sock" & pids+=($!)
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
export ONEBIT_PODMAN_SOCKET=$sock ONEBIT_SYSTEMD=none
# Trained as install.sh does on a user's host: with the Podman socket there.
bash bench/train-aot.sh
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
proxy_port=$(free_port)
mkdir -p "$work/config/1bit"
{
  printf 'version: 1\nproxy:\n  host: 127.0.0.1\n  port: %s\ndefaultBackend: ""\nbackends:\n' "$proxy_port"
  for i in 1 2 3; do
    port=$(free_port)
    mkdir -p "$work/www$i/v1"
    echo '{"status":"ok"}' > "$work/www$i/health"
    printf '{"object":"list","data":[{"id":"model-%s","object":"model"}]}' "$i" > "$work/www$i/v1/models"
    printf '  - name: b%s\n    kind: openai\n    url: http://127.0.0.1:%s\n    priority: 100\n    enabled: true\n' "$i" "$port"
    echo "$port" > "$work/port$i"
  done
} > "$work/config/1bit/registry.yaml"
start_backends() { for i in 1 2 3; do busybox httpd -f -p "127.0.0.1:$(cat "$work/port$i")" -h "$work/www$i" & pids+=($!); done; sleep 0.3; }
export XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
cmds=(-n 'podman ps' 'podman ps'
      -n '1bit --version (no AOT)' 'env ONEBIT_AOT=0 ./bin/1bit --version'
      -n '1bit --version (AOT)' './bin/1bit --version')
# Everything down first.
hyperfine -N -i --warmup 3 --runs "$runs" --export-json "$work/down.json" "${cmds[@]}" \
  -n 'status, all down (no AOT)' 'env ONEBIT_AOT=0 ./bin/1bit status' \
  -n 'status, all down (AOT)' './bin/1bit status'
start_backends
./bin/1bit up >/dev/null
./bin/1bit status >/dev/null || { echo "the stack is not healthy" >&2; ./bin/1bit status; exit 1; }
hyperfine -N -i --warmup 3 --runs "$runs" --export-json "$work/up.json" \
  -n 'status, 3 backends + proxy up (no AOT)' 'env ONEBIT_AOT=0 ./bin/1bit status' \
  -n 'status, 3 backends + proxy up (AOT)' './bin/1bit status'
python3 - "$work/down.json" "$work/up.json" <<'PY'
import json, sys
rows = []
for f in sys.argv[1:]:
    rows += [(r["command"], r["mean"], r["stddev"]) for r in json.load(open(f))["results"]]
base = dict((c, m) for c, m, _ in rows)["podman ps"]
out = ["| command | mean ms | ± ms | ÷ podman ps |", "|---|---|---|---|"]
for c, m, s in rows:
    out.append(f"| {c} | {m*1000:.1f} | {s*1000:.1f} | {m/base:.2f} |")
text = "\n".join(out)
print(text)
open("bench/results/status.md", "w").write(text + "\n")
PY
