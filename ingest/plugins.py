"""Plug-ins: what each entry-point group of the installed distributions offers.

    kefu.parsers           file formats: ingest.parsing.FileFormat (parser + file name suffixes)
    kefu.embedders         embedder factories: (model, Settings) -> Embedder, named by provider
    kefu.channels          messaging channels: a FastAPI APIRouter mounted at /v1/channels/<name>
    kefu.escalation_rules  escalation rules: an EscalationRule subclass, named by its code
    kefu.eval_arms         eval arms: ArmContext -> answer function

(`kefu.migrations`, each package's migration folder, is read through `entry_points` by ingest.db.)

kefu registers its own built-ins in the same groups (pyproject.toml), so there is one way to add
any of them: a distribution with an entry point. (A checkout whose pyproject.toml gained a group
needs `pip install -e .` again for the installed metadata to list it.)
"""

from __future__ import annotations

import functools
import logging
from importlib import metadata
from typing import Any

from ingest.errors import KefuError

log = logging.getLogger("kefu.plugins")

GROUPS = ("kefu.parsers", "kefu.embedders", "kefu.channels", "kefu.escalation_rules", "kefu.eval_arms")


class PluginError(KefuError):
    """A plug-in whose entry point cannot be loaded, or two that claim the same name."""


def entry_points(group: str) -> list[metadata.EntryPoint]:
    """The group's entry points, from every installed distribution."""
    return list(metadata.entry_points(group=group))


def _distribution(entry: metadata.EntryPoint) -> str | None:
    dist = getattr(entry, "dist", None)
    return dist.metadata["Name"] if dist is not None else None


@functools.cache
def load(group: str, kind: type | None = None) -> dict[str, Any]:
    """name -> loaded object of every entry point in the group (loaded once per process): an
    instance of `kind`, or a subclass of it, when given.

    A plug-in that fails to import, is not of its kind, or takes a name another distribution
    claims is a PluginError naming the entry point and its distribution: a broken plug-in stops
    the command rather than vanish."""
    loaded: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for entry in entry_points(group):
        source = f"{entry.name} = {entry.value} (from {_distribution(entry) or 'an unnamed distribution'})"
        if entry.name in loaded:
            if origin[entry.name] == entry.value:
                continue  # the same distribution seen twice on sys.path
            raise PluginError(
                f"plug-in name {entry.name!r} in {group} is claimed twice: {origin[entry.name]} and {source}"
            )
        try:
            loaded[entry.name] = entry.load()
        except Exception as exc:
            raise PluginError(
                f"the plug-in {source} in {group} cannot be loaded: {type(exc).__name__}: {exc}"
            ) from exc
        obj = loaded[entry.name]
        if kind is not None and not (
            isinstance(obj, kind) or (isinstance(obj, type) and issubclass(obj, kind))
        ):
            raise PluginError(f"the plug-in {source} in {group} is not a {kind.__name__}")
        origin[entry.name] = entry.value
    log.debug("plug-ins in %s: %s", group, sorted(loaded))
    return loaded


def clear_cache() -> None:
    """Read the groups again on next use (after distributions were added to sys.path)."""
    load.cache_clear()
