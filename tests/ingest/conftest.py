"""Fixtures for the parsing and chunking tests: no network, files written into tmp_path."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing and chunking must work with the network unavailable: any connection fails.
    (Not autouse: other tests in this folder talk to PostgreSQL and a Chroma server.)"""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network access attempted during an ingest test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """write_file(name, content, encoding="utf-8") -> path in tmp_path (bytes written as is)."""

    def write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return write
