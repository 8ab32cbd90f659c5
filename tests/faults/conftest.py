"""Fault tests: kefu with its dependencies started by the tests on loopback, then broken."""

from __future__ import annotations

import sys
from pathlib import Path

# The API tests' helpers (fixture documents, keys, upload) are reused, not written again.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))
