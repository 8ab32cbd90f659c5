"""The ingest tests' and sample knowledge base's PDF writer lives in eval.pdf_writer (the
help-centre benchmark builds its PDFs with it too); this module keeps the tests' import."""

from eval.pdf_writer import pdf_bytes

__all__ = ["pdf_bytes"]
