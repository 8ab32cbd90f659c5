"""A small bilingual help centre for Lumo, a fictional smart-home brand: the demo knowledge base
and the fixture the answering tests rely on (see README.md for what each file covers)."""

from __future__ import annotations

from pathlib import Path

SAMPLE_DIR: Path = Path(__file__).resolve().parent


def sample_files() -> list[Path]:
    """The knowledge-base files, sorted by name (this package's README and code excluded)."""
    from ingest.parsing import supported_extensions

    return sorted(
        path
        for path in SAMPLE_DIR.iterdir()
        if path.suffix.lower() in supported_extensions() and path.name != "README.md"
    )
