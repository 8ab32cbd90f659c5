"""Messaging channels: each adapter is a router mounted under /v1/channels/<name>.

An adapter verifies the platform's signature on the raw request, turns the platform's message
into a question for the answer pipeline (api.channels.inbound does the shared part: one
conversation per platform user, idempotency on the platform's message id) and replies in the
platform's format. Agent replies travel the other way through api.channels.outbound: an adapter
that can push registers a pusher there when imported, and the outbox of pushes is mounted at
/v1/channels/outbox. Adding a platform is one module whose router is a `kefu.channels` plug-in
(ingest.plugins; kefu's own are listed in pyproject.toml).
"""

from __future__ import annotations

from fastapi import APIRouter

from ingest import plugins

GROUP = "kefu.channels"


def channel_routers() -> dict[str, APIRouter]:
    """Channel name -> its router: the adapters and the outbox (loading one registers its pusher)."""
    return plugins.load(GROUP, APIRouter)
