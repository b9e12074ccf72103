"""Test helpers: the CDS Hooks service as a real process, and a tiny FHIR server stub, on loopback."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ADVISOR = str(Path(sys.executable).parent / "advisor")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def service(tmp_path: Path, workers: int = 1, env: dict[str, str] | None = None):
    """`advisor serve` on a free loopback port; yields (base URL, path of its log)."""
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    full_env = {**os.environ, **(env or {})}
    with open(log, "w") as out:
        proc = subprocess.Popen([ADVISOR, "serve", "--port", str(port), "--workers", str(workers), "--log-level", "info"],
                                stdout=out, stderr=subprocess.STDOUT, env=full_env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"advisor serve exited {proc.returncode}: {log.read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"advisor serve did not start: {log.read_text()}")
            time.sleep(0.2)
        yield base, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class FhirStub:
    """Answers reads and searches from a dict of resources by type; records each request."""

    def __init__(self, resources: list[dict[str, Any]]):
        self.resources = resources
        self.requests: list[tuple[str, str | None]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                stub.requests.append((self.path, self.headers.get("Authorization")))
                status, body = stub.answer(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/fhir"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path: str) -> tuple[int, dict]:
        rest = path.split("/fhir/", 1)[-1]
        kind, _, query = rest.partition("?")
        if "/" in kind:  # a read: Patient/p1
            kind, rid = kind.split("/", 1)
            found = [r for r in self.resources if r["resourceType"] == kind and r.get("id") == rid]
            return (200, found[0]) if found else (404, {"resourceType": "OperationOutcome"})
        hits = [r for r in self.resources if r["resourceType"] == kind]
        return 200, {"resourceType": "Bundle", "type": "searchset", "total": len(hits), "entry": [{"resource": r} for r in hits]}

    def __enter__(self) -> "FhirStub":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
