"""Soak clients for bench/soak.sh: N concurrent streaming chat clients, each sending one stream after another for
SECONDS (a new connection each, as llama-server closes them after a stream anyway); prints one JSON line with the
streams completed (200, ending in data: [DONE], no error event), the errors by kind, and the requests sent.
usage: soak_client.py BASE_URL MODEL CLIENTS SECONDS MAX_TOKENS"""
import collections
import json
import socket
import sys
import threading
import time
from urllib.parse import urlparse

base, model, clients, seconds, max_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
url = urlparse(base)
lock = threading.Lock()
completed = 0
errors = collections.Counter()
body = json.dumps({"model": model, "max_tokens": max_tokens, "stream": True,
                   "messages": [{"role": "user", "content": "hello"}]}).encode()
head = (f"POST {url.path}/chat/completions HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()


def stream():
    """One stream: '' when complete, else what went wrong."""
    with socket.create_connection((url.hostname, url.port), timeout=60) as conn:
        conn.sendall(head + body)
        data = bytearray()
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    text = bytes(data)
    status = text[9:12].decode(errors="replace") if text.startswith(b"HTTP/1.1 ") else "no-answer"
    if status != "200":
        return "http-" + status
    if b'"error"' in text:
        return "error-event"
    if b"data: [DONE]" not in text:
        return "incomplete"
    return ""


def client(end):
    global completed
    while time.monotonic() < end:
        try:
            problem = stream()
        except OSError as e:
            problem = type(e).__name__
        with lock:
            if problem:
                errors[problem] += 1
            else:
                completed += 1


end = time.monotonic() + seconds
threads = [threading.Thread(target=client, args=(end,)) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"completed": completed, "errors": sum(errors.values()), "by_kind": dict(errors)}))
