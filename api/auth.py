"""API keys: created with a random secret shown once, stored as sha256, scoped to a tenant.

A key looks like `kefu_<43 url-safe characters>`. The stored hash is of the whole key; lookups go by
hash, so the secret never sits in the database and a leaked table does not leak keys.

Verified keys are remembered in process memory (KeyCache, keyed by the key's sha256) for a few
seconds, so a busy client costs one SQL lookup per key per TTL instead of one per request.
Revocation: `revoke_key` in this process drops the entry as soon as its transaction commits; a
revocation made elsewhere (the `kefu keys revoke` CLI, another worker process) takes effect here
within KEY_CACHE_TTL_S. Unknown and revoked keys are never cached: they always go to SQL.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from api.models import ROLES, ApiKey
from ingest.db import Database
from ingest.models import utcnow

KEY_PREFIX = "kefu_"
# last_used_at is written at most this often per key, so reads do not turn into writes.
TOUCH_INTERVAL_S = 60.0
# How long a verified key is trusted without asking SQL again (Settings.key_cache_ttl_s, which
# create_app applies to the process's cache).
KEY_CACHE_TTL_S = 5.0
KEY_CACHE_SIZE = 10_000


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
        name=name,
        prefix=key[:12],
        key_hash=hash_key(key),
        role=role,
        tenant=tenant.strip(),
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
            select(ApiKey).where((ApiKey.id == key_id_or_prefix) | (ApiKey.prefix == key_id_or_prefix[:12]))
        )
    )
    if len(rows) != 1:
        return None
    if rows[0].revoked_at is None:
        rows[0].revoked_at = utcnow()
        session.flush()
    _forget_on_commit(session, rows[0].id)
    return rows[0]


class KeyCache:
    """Principals of recently verified keys (by database and key digest), each trusted for
    `ttl_s` seconds.

    `forget` bumps a generation counter; a lookup that started before it (read SQL before the
    revocation committed) cannot store its now stale answer: `put` takes the generation seen
    before the SQL read and stores nothing if it changed meanwhile.
    """

    def __init__(
        self,
        ttl_s: float = KEY_CACHE_TTL_S,
        size: int = KEY_CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, digest: str) -> Principal | None:
        if self.ttl_s <= 0:
            return None
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if self.clock() >= entry[1]:
                del self._entries[digest]
                return None
            return entry[0]

    def put(self, digest: str, who: Principal, generation: int) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return
            self._entries[digest] = (who, self.clock() + self.ttl_s)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, key_id: str) -> None:
        """Drop every entry of this key (after a revocation)."""
        with self._lock:
            self._generation += 1
            for digest in [d for d, (who, _) in self._entries.items() if who.key_id == key_id]:
                del self._entries[digest]

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


key_cache = KeyCache()


def _forget_on_commit(session: Session, key_id: str) -> None:
    """Forget the key now and again once the revocation is committed: a request that read the
    key as valid in between must not put it back into the cache."""
    key_cache.forget(key_id)
    event.listen(session, "after_commit", lambda _session: key_cache.forget(key_id), once=True)


_touched: dict[str, float] = {}
_touched_lock = threading.Lock()


def authenticate(session: Session, key: str) -> Principal | None:
    """The principal of a valid, unrevoked key, or None (always asks SQL; see cached_principal)."""
    if not key.startswith(KEY_PREFIX):
        return None
    return _authenticate_digest(session, hash_key(key))


def _cache_key(database: Database, digest: str) -> str:
    # Per database: one process may serve (or test) several, and a key belongs to one.
    return f"{database.url}\n{digest}"


def cached_principal(database: Database, key: str) -> Principal | None:
    """The principal of a key verified within the TTL, without touching SQL; None = ask SQL."""
    if not key.startswith(KEY_PREFIX):
        return None
    return key_cache.get(_cache_key(database, hash_key(key)))


def authenticate_and_cache(database: Database, key: str) -> Principal | None:
    """authenticate() through SQL, remembering a valid key in the key cache."""
    if not key.startswith(KEY_PREFIX):
        return None
    digest = hash_key(key)
    generation = key_cache.generation
    with database.session() as session:
        who = _authenticate_digest(session, digest)
    if who is not None:
        key_cache.put(_cache_key(database, digest), who, generation)
    return who


def _authenticate_digest(session: Session, digest: str) -> Principal | None:
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
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
