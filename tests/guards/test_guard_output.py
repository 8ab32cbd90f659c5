from __future__ import annotations

import json

from assistant.guards import GuardSettings, OutputGuard
from assistant.types import Passage

PASSAGES = [
    Passage(chunk_id="c1", doc_id="d1", n=1, text="Returns are accepted within 30 days with the receipt."),
    Passage(chunk_id="c2", doc_id="d2", n=2, text="Support hotline 010-62345678, e-mail help@shop.example."),
]
EN_Q = "Can I return my hub?"
ZH_Q = "我的网关可以退货吗？"


def test_clean_answer_passes_unchanged(output_guard: OutputGuard) -> None:
    answer = "Yes, within 30 days with the receipt [1]. Questions: call 010-62345678 [2]."
    result = output_guard.run(answer, EN_Q, PASSAGES)
    assert (result.ok, result.answer, result.violations) == (True, answer, [])


def test_citation_to_a_missing_passage_is_a_violation(output_guard: OutputGuard) -> None:
    result = output_guard.run("Returns take 30 days [1][3].", EN_Q, PASSAGES)
    assert result.codes == ["invalid_citation"] and result.violations[0].data["invalid"] == [3]
    assert output_guard.run("Returns take 30 days [1].", EN_Q, []).codes == ["invalid_citation"]


def test_language_must_match_the_question(output_guard: OutputGuard) -> None:
    assert output_guard.run("Yes, within 30 days [1].", ZH_Q, PASSAGES).codes == ["lang_mismatch"]
    assert output_guard.run("可以，30天内凭小票退货[1]。", EN_Q, PASSAGES).codes == ["lang_mismatch"]
    assert output_guard.run("可以，Hub Pro X2 在 30 天内凭小票退货[1]。", ZH_Q, PASSAGES).ok


def test_other_peoples_pii_is_redacted_customer_and_kb_contacts_stay(output_guard: OutputGuard) -> None:
    answer = "We sent it to 13812345678 and to 13900001111; or mail help@shop.example [2]."
    result = output_guard.run(answer, EN_Q, PASSAGES, customer_pii_values={"+86 138-1234-5678"})
    assert result.answer == "We sent it to 13812345678 and to [PHONE_1]; or mail help@shop.example [2]."
    assert result.codes == ["pii_leak"] and not result.ok
    assert "13900001111" not in json.dumps(result.as_dict())


def test_kb_contacts_can_be_treated_as_pii_too(wordlists) -> None:  # type: ignore[no-untyped-def]
    strict = OutputGuard(GuardSettings(allow_passage_pii=False), wordlists=wordlists)
    assert strict.run("Call 010-62345678 [2].", EN_Q, PASSAGES).answer == "Call [PHONE_1] [2]."


def test_policy_words_unless_the_knowledge_base_says_so(output_guard: OutputGuard) -> None:
    promise = output_guard.run("I promise you a full refund [1].", EN_Q, PASSAGES)
    assert promise.codes == ["policy_word"] and promise.violations[0].data["terms"] == ["i promise"]
    kb = [Passage(chunk_id="c9", doc_id="d9", n=1, text="We guarantee delivery within 48 hours.")]
    assert output_guard.run("We guarantee delivery within 48 hours [1].", "When will it arrive?", kb).ok


def test_length_limit_and_abusive_output(wordlists) -> None:  # type: ignore[no-untyped-def]
    guard = OutputGuard(GuardSettings(max_answer_chars=40), wordlists=wordlists)
    long = guard.run("Returns are accepted within 30 days with the receipt [1].", EN_Q, PASSAGES)
    assert long.codes == ["too_long"] and long.violations[0].data == {"chars": 57, "limit": 40}
    assert guard.run("Ask again, idiot [1].", EN_Q, PASSAGES).codes == ["abusive_output"]
