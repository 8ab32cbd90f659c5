"""A plug-in distribution made on disk for one test: its modules and a `*.dist-info` folder with
entry_points.txt, on sys.path for the test only. Nothing is installed."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingest import plugins

MakePlugin = Callable[[str, dict[str, str], dict[str, dict[str, str]]], Path]


@pytest.fixture
def make_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakePlugin]:
    """make_plugin(distribution, {module: source}, {group: {name: "module:object"}}) -> its folder."""
    made: list[str] = []

    def make(name: str, modules: dict[str, str], groups: dict[str, dict[str, str]]) -> Path:
        root = tmp_path / f"site-{name}"
        info = root / f"{name.replace('-', '_')}-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            "".join(
                f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in entries.items()) + "\n"
                for group, entries in groups.items()
            ),
            encoding="utf-8",
        )
        for module, source in modules.items():
            (root / f"{module}.py").write_text(source, encoding="utf-8")
            made.append(module)
        monkeypatch.syspath_prepend(str(root))
        importlib.invalidate_caches()
        plugins.clear_cache()
        return root

    yield make
    for module in made:
        sys.modules.pop(module, None)
    plugins.clear_cache()  # the next test sees only what is installed


__all__ = ["MakePlugin", "make_plugin"]
