"""Messaging channels: each adapter is a router mounted under /v1/channels/<name>.

An adapter verifies the platform's signature on the raw request, turns the platform's message
into a question for the answer pipeline (api.channels.inbound does the shared part: one
conversation per platform user, idempotency on the platform's message id) and replies in the
platform's format. Adding a platform is one module that calls `register`.
"""

from __future__ import annotations

from fastapi import APIRouter

CHANNELS: dict[str, APIRouter] = {}


def register(name: str, router: APIRouter) -> None:
    if name in CHANNELS:
        raise ValueError(f"channel {name!r} is registered twice")
    CHANNELS[name] = router


def channel_routers() -> dict[str, APIRouter]:
    """The registered adapters (importing the built-in ones registers them)."""
    from api.channels import webhook, wechat  # noqa: F401

    return dict(CHANNELS)
