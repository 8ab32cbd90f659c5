"""kefu.api: the edge — HTTP service, auth, command line, web pages. Nothing imports it."""

import ingest  # noqa: F401  (offline runtime set-up happens on import of ingest)
