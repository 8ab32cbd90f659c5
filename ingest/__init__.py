"""kefu.ingest: turns documents into a searchable, versioned knowledge base.

Importing the package makes the process offline-safe first (see runtime.py), because every
other kefu package imports this one before it touches tiktoken, litellm, Chroma or unstructured.
"""

from ingest.runtime import configure_offline

configure_offline()
