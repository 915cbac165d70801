"""What the fake servers share: a quiet threaded HTTP server on 127.0.0.1, started and stopped
by the tests (``with FakeX() as fake: fake.url``) or run standalone for the demo."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out on purpose (timeout tests) close the socket mid-answer.
        pass


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and speaks HTTP/1.1; ``fake`` is its server's
    state (set per server by FakeServer)."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without TCP_NODELAY a keep-alive client waits for
    # its delayed ACK (~40 ms a request), which LINE's and the gateways' servers never make it.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def write_answer(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def write_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.write_answer(status, json.dumps(payload).encode(), "application/json", headers)


class FakeServer:
    """A fake served by ``handler`` (its ``fake`` attribute is this object) in a daemon
    thread; subclasses set up their state, then call ``super().__init__``."""

    def __init__(self, *, host: str, port: int, handler: type[QuietHandler]) -> None:
        bound = type("Handler", (handler,), {"fake": self})
        self.httpd = QuietHTTPServer((host, port), bound)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_until_interrupted(self, banner: str) -> None:
        """Standalone (the demo): serve in this thread until Ctrl-C."""
        print(f"{banner} listening on {self.url} (Ctrl-C to stop)", flush=True)
        try:
            self.httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.httpd.server_close()
