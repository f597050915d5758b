#!/usr/bin/env bash
# Issue 20 benchmark: `1bit pull` (sha256 included) against curl (one connection) and aria2c -x 8, in the same run,
# from a Hub stand-in on loopback (bench/hub_standin.py: the tree API and resolve's 302) whose storage is nginx
# (Range, sendfile). Then a resume: the pull killed at 50 % and run again, counting the bytes the second run moved.
# Usage: bench/pull.sh [SIZE_MB]   (after mvn package; needs nginx, curl, aria2c, python3; ROUNDS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-2048}
rounds=${ROUNDS:-3}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
for tool in nginx curl aria2c python3 sha256sum; do command -v $tool >/dev/null || { echo "$tool is missing (apt-get install nginx aria2)" >&2; exit 1; }; done
work=$(mktemp -d /var/tmp/1bit-pull-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  nginx -c "$work/storage.conf" -s stop 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
. bench/lib.sh
machine="$(date -u +%Y-%m-%d), $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
mkdir -p "$work/blobs"
head -c "$((size_mb << 20))" /dev/urandom >"$work/blob"
sha=$(sha256sum "$work/blob" | cut -d' ' -f1)
mv "$work/blob" "$work/blobs/$sha"
chmod 755 "$work" "$work/blobs"; chmod 644 "$work/blobs/$sha"  # nginx workers run as another user
size=$(stat -c %s "$work/blobs/$sha")
storage=$(free_port); hubport=$(free_port)
cat >"$work/storage.conf" <<NGINX
daemon on; pid $work/storage.pid; error_log $work/storage-error.log; worker_processes 2;
events { worker_connections 1024; }
http {
  log_format bytes '\$body_bytes_sent';
  access_log $work/storage-access.log bytes;
  sendfile on; tcp_nopush on;
  server { listen 127.0.0.1:$storage; root $work/blobs; location / { } }
}
NGINX
nginx -c "$work/storage.conf"
python3 bench/hub_standin.py "$hubport" "http://127.0.0.1:$storage" org/Big-GGUF Big-F32.gguf "$sha" "$size" & pids+=($!)
wait_http "http://127.0.0.1:$hubport/api/models/org/Big-GGUF/revision/main"
url="http://127.0.0.1:$hubport/org/Big-GGUF/resolve/main/Big-F32.gguf"
pull() {
  rm -rf "$work/hf"
  HF_ENDPOINT="http://127.0.0.1:$hubport" HF_HUB_CACHE="$work/hf" XDG_CONFIG_HOME="$work/config" \
    ./bin/1bit pull org/Big-GGUF:F32 --no-register --json "$@"
}
ms() { date +%s%N; }
raw=$work/raw.tsv
pull >/dev/null  # warm-up: the JVM's class data and the page cache of the blob
for r in $(seq "$rounds"); do
  for t in curl aria2c 1bit; do
    rm -f "$work/out"
    start=$(ms)
    case $t in
      curl) curl -sS -L -o "$work/out" "$url" ;;
      aria2c) aria2c -q -x 8 -s 8 -k 1M --allow-overwrite=true --auto-file-renaming=false -d "$work" -o out "$url" ;;
      1bit) pull >/dev/null ;;
    esac
    end=$(ms)
    printf '%s\t%s\t%s\n' "$r" "$t" "$(( (end - start) / 1000000 ))" >>"$raw"
  done
done
# Resume: kill the pull once half the file is on disk, run it again, count what the second run transferred.
rm -rf "$work/hf"
HF_ENDPOINT="http://127.0.0.1:$hubport" HF_HUB_CACHE="$work/hf" XDG_CONFIG_HOME="$work/config" \
  ./bin/1bit pull org/Big-GGUF:F32 --no-register --json >/dev/null 2>&1 & first=$!
partial="$work/hf/models--org--Big-GGUF/blobs/$sha.incomplete"
until [ -f "$partial" ] && [ "$(stat -c %s "$partial")" -ge $((size / 2)) ]; do sleep 0.005; done
kill -9 $first; wait $first 2>/dev/null || true
kept=$(stat -c %s "$partial")
: >"$work/storage-access.log"
second=$(HF_ENDPOINT="http://127.0.0.1:$hubport" HF_HUB_CACHE="$work/hf" XDG_CONFIG_HOME="$work/config" \
  ./bin/1bit pull org/Big-GGUF:F32 --no-register --json)
nginx -c "$work/storage.conf" -s reopen; sleep 0.2
moved=$(awk '{s += $1} END {print s + 0}' "$work/storage-access.log")
mkdir -p bench/results
out=bench/results/pull.md
{
  echo "# Pull: 1bit vs curl and aria2c ($machine)"
  echo
  echo "A ${size_mb} MiB file from the Hub stand-in (resolve → 302 → nginx) on loopback, $rounds rounds; 1bit's time includes"
  echo "the sha256 check, the HF cache layout and the JVM's start."
  echo
  python3 - "$raw" "$size" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
size = int(sys.argv[2])
ms = {}
for r, t, v in rows:
    ms.setdefault(t, []).append(int(v))
med = {t: statistics.median(v) for t, v in ms.items()}
print("| client | median s | MB/s | runs (ms) |")
print("|---|---|---|---|")
for t in ("curl", "aria2c", "1bit"):
    print(f"| {t} | {med[t] / 1000:.2f} | {size / 1e6 / (med[t] / 1000):.0f} | {', '.join(map(str, ms[t]))} |")
best = min(med["curl"], med["aria2c"])
print()
print(f"1bit ÷ the faster of curl and aria2c (throughput): {best / med['1bit']:.2f} (target ≥ 0.9)")
PY
  echo
  echo "Resume after a kill at 50 %: $kept bytes were kept; the second run moved $moved bytes, $(python3 -c "print(f'{$moved / $size * 100:.1f}')") % of the file (target ≤ 55 %)."
  echo "Second run: $(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print('downloadedBytes', d['downloadedBytes'])" "$second")"
  echo
  echo "Reproduce: bash bench/pull.sh $size_mb   (ROUNDS=$rounds)"
} | tee "$out"
