"""Streaming chat clients for bench/proxy.sh: N concurrent streams against BASE_URL; prints one JSON line with the
median time to first token (ms), the mean tokens/s per stream (content events after the first, per second), the
mean generation speed the backend reported for the same streams (llama-server's final event, timings.
predicted_per_second) and the mean of delivered ÷ generated per stream: a relay that delays tokens lowers it, while
the backend's own speed, which drifts on a shared machine, cancels out of it.
usage: stream_client.py BASE_URL MODEL STREAMS MAX_TOKENS

Each stream is a plain socket that reads whatever has arrived (up to 64 KB) and counts the SSE events in it, so
the client spends little CPU per token: it shares the machine with the proxies it measures, and a client that
parses line by line (http.client) was itself the bottleneck at thousands of tokens/s."""
import json
import re
import socket
import statistics
import sys
import threading
import time
from urllib.parse import urlparse

base, model, streams, max_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
url = urlparse(base)
EVENT = b"data: {"
GENERATED = re.compile(rb'"predicted_per_second":([0-9.eE+-]+)')
results = []
failures = []


def one():
    body = json.dumps({"model": model, "max_tokens": max_tokens, "stream": True,
                       "messages": [{"role": "user", "content": "hello"}]}).encode()
    head = (f"POST {url.path}/chat/completions HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection((url.hostname, url.port), timeout=120) as conn:
        start = time.perf_counter()
        conn.sendall(head + body)
        first, last, tokens, end = None, None, 0, b""
        while True:
            data = conn.recv(65536)
            if not data:
                break
            now = time.perf_counter()
            # An event marker may straddle two reads: search the previous read's last bytes too.
            n = (end[-(len(EVENT) - 1):] + data).count(EVENT)
            end = (end + data)[-8192:]  # the final event, with the backend's timings
            if n:
                if first is None:
                    first = now
                    n_first = n
                tokens += n
                last = now
    if first is None or tokens < 2:
        failures.append(f"{tokens} events")
        return
    generated = GENERATED.findall(end)
    if not generated:
        failures.append("no timings.predicted_per_second in the final event")
        return
    # Tokens after the first read's, over the time after it.
    delivered = (tokens - n_first) / (last - first) if last > first else 0.0
    backend = float(generated[-1])
    results.append(((first - start) * 1000.0, delivered, backend, delivered / backend))


threads = [threading.Thread(target=one) for _ in range(streams)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failures:
    sys.exit(f"stream_client: {len(failures)} of {streams} streams failed: {failures[0]}")
print(json.dumps({"ttft_ms": statistics.median(r[0] for r in results),
                  "tokens_per_s": statistics.mean(r[1] for r in results),
                  "backend_tokens_per_s": statistics.mean(r[2] for r in results),
                  "delivered_over_generated": statistics.mean(r[3] for r in results)}))
