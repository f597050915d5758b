#!/usr/bin/env python3
"""Hugging Face Hub stand-in for bench/pull.sh (no network reaches the Hub here): the revision and tree APIs and
`resolve` answering 302 to a storage host (nginx, which serves the blobs with Range), as huggingface_hub expects.
Usage: hub_standin.py PORT STORAGE_URL REPO FILE SHA256 SIZE"""
import http.server
import json
import sys

port, storage, repo, name, sha, size = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
COMMIT = "4f2a9c1e0b7d3a6f5e8c2b1a0d9e8f7a6b5c4d3e"


class Hub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, doc):
        body = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.startswith(f"/api/models/{repo}/revision/"):
            self.send_json({"id": repo, "sha": COMMIT})
        elif path.startswith(f"/api/models/{repo}/tree/"):
            self.send_json([{"type": "file", "oid": "0", "size": size, "path": name,
                             "lfs": {"oid": sha, "size": size, "pointerSize": 134}}])
        elif path.startswith(f"/{repo}/resolve/") and path.endswith("/" + name):
            self.send_response(302)
            self.send_header("Location", f"{storage}/{sha}")
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("X-Linked-Size", str(size))
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Hub).serve_forever()
