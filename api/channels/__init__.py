"""Messaging channels: each adapter is a router mounted under /v1/channels/<name>.

An adapter verifies the platform's signature on the raw request, turns the platform's message
into a question for the answer pipeline (api.channels.inbound does the shared part: one
conversation per platform user, idempotency on the platform's message id) and replies in the
platform's format. Agent replies travel the other way through api.channels.outbound: an adapter
that can push registers a pusher there, and the outbox of pushes is mounted at
/v1/channels/outbox. Adding a platform is one module that calls `register` (and `register_pusher`).
"""

from __future__ import annotations

import importlib

from fastapi import APIRouter

CHANNELS: dict[str, APIRouter] = {}
# Loaded by name, as plug-ins are: the adapters import this package to register themselves, so
# importing them from here would make the two import each other.
BUILTIN = ("api.channels.outbound", "api.channels.webhook", "api.channels.wechat")


def register(name: str, router: APIRouter) -> None:
    if name in CHANNELS:
        raise ValueError(f"channel {name!r} is registered twice")
    CHANNELS[name] = router


def load_builtin() -> None:
    """Import the built-in adapters and the outbox (importing registers them)."""
    for name in BUILTIN:
        importlib.import_module(name)


def channel_routers() -> dict[str, APIRouter]:
    """The registered routers: the adapters and the outbox."""
    load_builtin()
    return dict(CHANNELS)
