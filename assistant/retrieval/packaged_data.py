"""Data files shipped inside PyPI packages (a dictionary, word frequencies), parsed once and
cached under kefu's data directory.

Parsing such a file can take a second or more; a pickle of the parsed form loads in tens of
milliseconds, which matters for a command-line question that starts a new process. A cache file
is named after the source file's size and time and the parser's version, so an upgraded package
or parser is parsed anew; a torn or unreadable cache file is parsed again, never an error.
"""

from __future__ import annotations

import importlib.resources
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_cache_dir: Path | None = None
_loaded: dict[str, object] = {}
_lock = threading.Lock()


def configure_cache(data_dir: Path) -> None:
    """Cache parsed data files under kefu's data directory; effective only before the first load."""
    global _cache_dir
    if _cache_dir is None:
        _cache_dir = data_dir / "cache" / "packaged"


def load(
    name: str, package: str, resource: str, parse: Callable[[Path], T], kind: type[T], version: int = 1
) -> T:
    """The parsed form of a package's data file, once per process: from the cache when it is
    current, else parse(path) (then cached). name keys the cache; kind checks what was read."""
    with _lock:
        found = _loaded.get(name)
        if isinstance(found, kind):
            return found
        parsed = _read(name, package, resource, parse, kind, version)
        _loaded[name] = parsed
        return parsed


def _read(
    name: str, package: str, resource: str, parse: Callable[[Path], T], kind: type[T], version: int
) -> T:
    with importlib.resources.as_file(importlib.resources.files(package) / resource) as path:
        stat = path.stat()
        cached = (
            _cache_dir / f"{name}-v{version}-{stat.st_size}-{int(stat.st_mtime)}.pickle"
            if _cache_dir is not None
            else None
        )
        if cached is not None and cached.is_file():
            try:
                with cached.open("rb") as handle:
                    loaded = pickle.load(handle)  # our own cache file, written below
                if isinstance(loaded, kind):
                    return loaded
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
                pass  # torn or stale: parsed again
        parsed = parse(path)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(".partial")
            with partial.open("wb") as handle:
                pickle.dump(parsed, handle, protocol=pickle.HIGHEST_PROTOCOL)
            partial.replace(cached)  # atomic: a reader never sees half a file
        except OSError:
            pass  # a read-only data directory: parsed again next time
    return parsed


def forget() -> None:
    """Drop what this process loaded (tests: load again, from the cache)."""
    with _lock:
        _loaded.clear()
