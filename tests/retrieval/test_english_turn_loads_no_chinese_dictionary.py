"""An English question whose retrieval touches no Chinese text does not load jieba's dictionary
(0.6 s of the first CLI answer): the synonym table cuts its Chinese members into words when first
needed, the FAQ match skips an FAQ's Chinese questions for a query without Chinese, and the judge's
Chinese words for a price or opening hours are terms as written. Run in a
fresh interpreter, as the test process has loaded the dictionary long since."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
from assistant.retrieval import text
from assistant.retrieval.retriever import faq_match_strength
from assistant.retrieval.synonyms import synonym_groups
from assistant.retrieval.text import terms

groups = synonym_groups()
assert groups.held("My mobile went missing", ["mobil", "miss"], "If your phone is lost, call us.")
query = set(terms("How long is the return window?"))
assert faq_match_strength(query, "退货期限是多久？\\nHow long is the return window?") == 1.0
assert faq_match_strength(query, "退货期限是多久？") == 0.0
from assistant.answerability import evidence
from assistant.types import Passage, PassageScores

free = Passage(chunk_id="c", doc_id="d", text="Wheelchair assistance is free of charge.", title="Help",
               lang="en", scores=PassageScores())
assert evidence("What time does the desk open, and does a wheelchair cost anything?", [free]).features
print(text._jieba is not None)  # the segmenter, made on first use
"""


def test_an_english_query_leaves_the_chinese_dictionary_unloaded() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_chinese_query_still_matches_a_chinese_faq_question() -> None:
    from assistant.retrieval.retriever import faq_match_strength
    from assistant.retrieval.text import terms

    assert (
        faq_match_strength(set(terms("退货期限是多久？")), "退货期限是多久？\nHow long is the return window?")
        == 1.0
    )
