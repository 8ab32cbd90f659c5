"""kefu.assistant: answers customers from the knowledge base, with citations, or hands them to a human."""

import ingest  # noqa: F401  (offline runtime set-up happens on import of ingest)
