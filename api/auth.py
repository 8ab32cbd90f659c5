"""API keys: created with a random secret shown once, stored as sha256, scoped to a tenant.

A key looks like `kefu_<43 url-safe characters>`. The stored hash is of the whole key; lookups go by
hash, so the secret never sits in the database and a leaked table does not leak keys.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import ROLES, ApiKey
from ingest.models import utcnow

KEY_PREFIX = "kefu_"
# last_used_at is written at most this often per key, so reads do not turn into writes.
TOUCH_INTERVAL_S = 60.0


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, role, tenant and knowledge-base scope."""

    key_id: str
    role: str
    tenant: str
    kbs: tuple[str, ...]  # empty = every knowledge base of the tenant
    name: str = ""

    def may_use_kb(self, kb_name: str, kb_tenant: str) -> bool:
        return kb_tenant == self.tenant and (not self.kbs or kb_name in self.kbs)


@dataclass(frozen=True)
class CreatedKey:
    key: str  # the secret: shown once
    row: ApiKey


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(
    session: Session, *, role: str, tenant: str, kbs: list[str] | None = None, name: str = ""
) -> CreatedKey:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if not tenant.strip():
        raise ValueError("tenant must not be empty")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name, prefix=key[:12], key_hash=hash_key(key), role=role, tenant=tenant.strip(),
        kbs=sorted(set(kbs or [])),
    )
    session.add(row)
    session.flush()
    return CreatedKey(key=key, row=row)


def list_keys(session: Session, tenant: str | None = None) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.tenant, ApiKey.created_at)
    if tenant is not None:
        query = query.where(ApiKey.tenant == tenant)
    return list(session.scalars(query))


def revoke_key(session: Session, key_id_or_prefix: str) -> ApiKey | None:
    """Revoke by id or by the shown prefix; None when nothing (or more than one key) matches."""
    rows = list(
        session.scalars(
            select(ApiKey).where(
                (ApiKey.id == key_id_or_prefix) | (ApiKey.prefix == key_id_or_prefix[:12])
            )
        )
    )
    if len(rows) != 1:
        return None
    if rows[0].revoked_at is None:
        rows[0].revoked_at = utcnow()
    return rows[0]


_touched: dict[str, float] = {}
_touched_lock = threading.Lock()


def authenticate(session: Session, key: str) -> Principal | None:
    """The principal of a valid, unrevoked key, or None."""
    if not key.startswith(KEY_PREFIX):
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    if row is None or row.revoked_at is not None:
        return None
    now = time.monotonic()
    with _touched_lock:
        due = now - _touched.get(row.id, -TOUCH_INTERVAL_S) >= TOUCH_INTERVAL_S
        if due:
            _touched[row.id] = now
    if due:
        row.last_used_at = utcnow()
    return Principal(key_id=row.id, role=row.role, tenant=row.tenant, kbs=tuple(row.kbs or ()), name=row.name)
