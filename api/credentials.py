"""Credentials out of what clients send to be stored and shown: a customer profile may carry the page
URL the widget ran on, and a key or token in that URL would reach the agent's handoff package and
the database."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from api.auth import KEY_PREFIX

# A query parameter name that names a credential ("key", "api_key", "access_token", "session", "sig", ...).
_CREDENTIAL_NAME = re.compile(
    r"(?i)(?:^|[_\-.])(?:key|apikey|token|secret|password|passwd|pwd|auth|authorization|signature|sig"
    r"|session|sessionid|sid|jwt|code|credentials?)$"
)
_KEFU_KEY = re.compile(re.escape(KEY_PREFIX) + r"[A-Za-z0-9_\-]{16,}")
REDACTED = "[REDACTED]"


def _without_credentials(value: str) -> str:
    value = _KEFU_KEY.sub(REDACTED, value)
    if not value.lower().startswith(("http://", "https://")):
        return value
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return value
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _CREDENTIAL_NAME.search(k)
    ]
    # A fragment with parameters (#access_token=...) can carry credentials too; a plain anchor stays.
    fragment = "" if "=" in parts.fragment else parts.fragment
    return urlunsplit((parts.scheme, host + port, parts.path, urlencode(query), fragment))


def drop_credentials(value: Any) -> Any:
    """The JSON value with kefu keys, URL user:password parts and credential-named URL parameters removed."""
    if isinstance(value, str):
        return _without_credentials(value)
    if isinstance(value, dict):
        return {k: drop_credentials(v) for k, v in value.items()}
    if isinstance(value, list):
        return [drop_credentials(v) for v in value]
    return value
