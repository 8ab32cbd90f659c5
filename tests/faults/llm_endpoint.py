"""A loopback stand-in for a hosted OpenAI-compatible LLM endpoint whose failure mode the test
picks: answering (grounded: it quotes the first source passage of the prompt), slow, returning
garbage (not JSON, or JSON with text unrelated to the sources), or down (nothing listening)."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Mode = Literal["ok", "slow", "garbage", "nonsense", "down"]
SLOW_S = 15.0  # longer than the tests' LLM timeout; the handler thread is a daemon


def _grounded_reply(messages: list[dict[str, Any]]) -> str:
    """The first sentence of source [1] in the last user message, cited."""
    sources = messages[-1]["content"]
    match = re.search(r"^\[1\] (?:.*? — )?(.+?[.!?])(?:\s|$)", sources, flags=re.M)
    return f"{match.group(1)} [1]" if match else "I do not know."


class LLMEndpoint:
    def __init__(self, port: int, mode: Mode = "ok") -> None:
        self.port = port
        self.mode: Mode = "down"
        self.requests: list[str] = []  # the model named in each request that reached it
        self._server: ThreadingHTTPServer | None = None
        self.set(mode)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def set(self, mode: Mode) -> None:
        if mode == "down" and self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        elif mode != "down" and self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
            self._server.daemon_threads = True
            threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.mode = mode

    def close(self) -> None:
        self.set("down")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                endpoint.requests.append(body.get("model", ""))
                mode = endpoint.mode
                if mode == "slow":
                    time.sleep(SLOW_S)
                if mode == "garbage":
                    self._send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
                    return
                text = (
                    "Bananas are a kind of purple weather. [1]"
                    if mode == "nonsense"
                    else _grounded_reply(body["messages"])
                )
                reply = {
                    "id": "chatcmpl-fault",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", ""),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }
                self._send(200, json.dumps(reply).encode(), "application/json")

            def _send(self, status: int, payload: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        return Handler
