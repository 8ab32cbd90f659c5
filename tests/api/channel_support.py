"""What the channel tests share: a reference WeChat message crypto written independently of
api.channels.wxcrypt (cryptography's own PKCS#7 padder, struct for the length), and a loopback
HTTP server standing in for the systems on the other side (a customer's webhook receiver, WeChat)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from api_fixture import Harness
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import func, select

from assistant.models import ChatMessage, Conversation

# The sample account of Tencent's WXBizMsgCrypt documentation (developer.work.weixin.qq.com/document/path/90968).
OFFICIAL = {
    "token": "QDG6eK",
    "key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    "app_id": "wx5823bf96d3bd56c7",
}
OFFICIAL_ECHO = {
    "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    "timestamp": "1409659589",
    "nonce": "263014780",
    "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
    "plain": "1616140317555161061",
}
OFFICIAL_MESSAGE = {
    "msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6",
    "timestamp": "1409659813",
    "nonce": "1372623149",
    "encrypt": (
        "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sY"
        "YvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR"
        "+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallc"
        "rw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8"
        "Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
    ),
}


def ref_sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _aes(key43: str) -> Cipher[modes.CBC]:
    key = base64.b64decode(key43 + "=")
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def ref_encrypt(key43: str, receiver: str, text: str) -> str:
    msg = text.encode("utf-8")
    padder = padding.PKCS7(256).padder()  # 256 bits: the scheme's 32-byte blocks
    data = (
        padder.update(os.urandom(16) + struct.pack("!I", len(msg)) + msg + receiver.encode())
        + padder.finalize()
    )
    encryptor = _aes(key43).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode()


def ref_decrypt(key43: str, encrypted: str) -> tuple[str, str]:
    """(message, receive id)."""
    decryptor = _aes(key43).decryptor()
    data = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    unpadder = padding.PKCS7(256).unpadder()
    content = (unpadder.update(data) + unpadder.finalize())[16:]
    (size,) = struct.unpack("!I", content[:4])
    return content[4 : 4 + size].decode("utf-8"), content[4 + size :].decode()


@dataclass
class Captured:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Captured], tuple[int, bytes]]


class Receiver:
    """A real HTTP server on a loopback port; `handle` decides each answer, every request is kept."""

    def __init__(self, handle: Handler, port: int = 0) -> None:
        self.handle = handle
        self.requests: list[Captured] = []
        receiver = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                captured = Captured(
                    method=self.command,
                    path=parts.path,
                    query={k: v[0] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                receiver.requests.append(captured)
                code, payload = receiver.handle(captured)
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def posts(self, path: str) -> list[Captured]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]


@contextmanager
def receiving(handle: Handler, port: int = 0) -> Iterator[Receiver]:
    receiver = Receiver(handle, port)
    thread = threading.Thread(target=receiver.server.serve_forever, name="test-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        thread.join()


def answers_stored(harness: Harness, user_id: str) -> int:
    """How many assistant answers a channel user has been given (a refused request stores none)."""
    with harness.services.db.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(ChatMessage)
                .join(Conversation)
                .where(Conversation.user_id == user_id, ChatMessage.role == "assistant")
            )
            or 0
        )
