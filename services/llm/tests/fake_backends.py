"""Fake model servers speaking Ollama's and the OpenAI API's documented wire formats.

Each runs a real HTTP server on 127.0.0.1 in a thread and records every request (path,
headers, JSON body) so tests can check what the service sent.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


class FakeServer:
    """A recording HTTP server; subclasses answer per path in `answer`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.chat_reply: Callable[[str], str] = lambda prompt: "fake reply"
        self.failures_before_success = 0
        self.failure_status = 500
        self.delay_seconds = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *arguments: Any) -> None:
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                server.requests.append({"method": method, "path": self.path, "headers": dict(self.headers), "body": body})
                if server.delay_seconds:
                    time.sleep(server.delay_seconds)
                if server.failures_before_success > 0 and method == "POST":
                    server.failures_before_success -= 1
                    self._send(server.failure_status, {"error": "model is loading"})
                    return
                status, payload = server.answer(method, self.path, body)
                self._send(status, payload)

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def posts(self, path: str) -> list[dict[str, Any]]:
        return [request for request in self.requests if request["method"] == "POST" and request["path"] == path]

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        raise NotImplementedError

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def embedding_for(text: str) -> list[float]:
    """A small deterministic vector so tests can tell the fake's vectors apart."""
    return [float(len(text)), float(sum(map(ord, text)) % 97), 1.0]


class FakeOllama(FakeServer):
    """`POST /api/chat` (stream false), `POST /api/embed`, `GET /api/tags`."""

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "GET" and path == "/api/tags":
            return 200, {"models": [{"name": "qwen2.5:7b-instruct"}]}
        if method == "POST" and path == "/api/chat":
            if body.get("stream") is not False:
                return 400, {"error": "this fake only speaks non-streaming chat"}
            prompt = body["messages"][-1]["content"]
            return 200, {
                "model": body["model"], "created_at": "2026-11-25T00:00:00Z",
                "message": {"role": "assistant", "content": self.chat_reply(prompt)},
                "done": True, "done_reason": "stop", "total_duration": 1, "eval_count": 1,
            }
        if method == "POST" and path == "/api/embed":
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            return 200, {"model": body["model"], "embeddings": [embedding_for(text) for text in inputs]}
        return 404, {"error": f"no route {method} {path}"}


class FakeOpenAI(FakeServer):
    """`POST /v1/chat/completions`, `POST /v1/embeddings`, `GET /v1/models`."""

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "GET" and path == "/v1/models":
            return 200, {"object": "list", "data": [{"id": "local-model", "object": "model"}]}
        if method == "POST" and path == "/v1/chat/completions":
            prompt = body["messages"][-1]["content"]
            return 200, {
                "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": self.chat_reply(prompt)},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        if method == "POST" and path == "/v1/embeddings":
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [{"object": "embedding", "index": index, "embedding": embedding_for(text)}
                    for index, text in enumerate(inputs)]
            return 200, {"object": "list", "model": body["model"], "data": list(reversed(data))}
        return 404, {"error": {"message": f"no route {method} {path}"}}


def closed_port_url() -> str:
    """A URL on which nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
