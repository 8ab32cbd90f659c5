"""kefu.eval: runs data sets through an answer function, scores them, reports, stores and gates runs.

Importing ingest first makes the process offline-safe (tiktoken cache, no telemetry) before ragas,
litellm or Chroma are touched.
"""

import ingest  # noqa: F401
