"""Markdown front matter: the `key: value` block between two `---` lines at the top of a file.

Only flat `key: value` pairs are read (title, url, type, ...); that is all kefu uses, and it
keeps YAML out of the dependencies.
"""

from __future__ import annotations

import re

_BLOCK = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_PAIR = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """(front matter pairs, the text after the block); ({}, text) when there is no block."""
    match = _BLOCK.match(text)
    if not match:
        return {}, text
    pairs = {}
    for line in match.group(1).splitlines():
        pair = _PAIR.match(line)
        if pair:
            pairs[pair.group(1).lower()] = pair.group(2).strip("\"'")
    return pairs, text[match.end() :]
