"""Streaming chat clients for bench/proxy.sh: N concurrent streams against BASE_URL; prints one JSON line with the
median time to first token (ms) and the mean tokens/s per stream (content events after the first, per second).
usage: stream_client.py BASE_URL MODEL STREAMS MAX_TOKENS"""
import http.client
import json
import statistics
import sys
import threading
import time
from urllib.parse import urlparse

base, model, streams, max_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
url = urlparse(base)
results = []


def one():
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    body = json.dumps({"model": model, "max_tokens": max_tokens, "stream": True,
                       "messages": [{"role": "user", "content": "hello"}]})
    start = time.perf_counter()
    conn.request("POST", url.path + "/chat/completions", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    first, tokens, last = None, 0, None
    while True:
        line = resp.readline()
        if not line:
            break
        if line.startswith(b"data: {"):
            now = time.perf_counter()
            if first is None:
                first = now
            tokens += 1
            last = now
    conn.close()
    results.append(((first - start) * 1000.0, (tokens - 1) / (last - first) if last and last > first else 0.0))


threads = [threading.Thread(target=one) for _ in range(streams)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"ttft_ms": statistics.median(r[0] for r in results),
                  "tokens_per_s": statistics.mean(r[1] for r in results)}))
