"""Output guard: checks a generated answer before it reaches the customer.

PII that is neither the customer's own nor printed in the retrieved passages (a public hotline)
is redacted in the returned answer; every other problem is reported as a violation for the
pipeline to act on (fall back to the extractive answer, refuse, or escalate).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from assistant.guards.pii import PiiFinding, PiiRedactor
from ingest.config import GuardSettings, get_settings
from assistant.guards.wordlists import WordLists
from assistant.types import Passage
from ingest.text import Lang, citation_numbers, cjk_share, detect_language


@dataclass
class Violation:
    code: str  # pii_leak | invalid_citation | lang_mismatch | too_long | policy_word | abusive_output
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.data}


@dataclass
class OutputGuardResult:
    ok: bool
    answer: str  # foreign PII already redacted
    violations: list[Violation]
    pii: list[PiiFinding]

    @property
    def codes(self) -> list[str]:
        return [violation.code for violation in self.violations]

    def as_dict(self) -> dict[str, Any]:
        return {"guard": "output", "ok": self.ok, "violations": [v.as_dict() for v in self.violations]}


@dataclass(frozen=True)
class _Draft:
    """What the checks look at: the redacted answer and its context."""

    answer: str
    question: str
    passages: list[Passage]
    lang: Lang  # the question's


class OutputGuard:
    def __init__(
        self,
        settings: GuardSettings | None = None,
        *,
        redactor: PiiRedactor | None = None,
        wordlists: WordLists | None = None,
    ) -> None:
        self.settings = settings or get_settings().guards
        self.redactor = redactor or PiiRedactor(self.settings)
        self.wordlists = wordlists or WordLists.from_settings(self.settings)
        self.checks: dict[str, Callable[[_Draft], Violation | None]] = {
            "invalid_citation": self._check_citations,
            "lang_mismatch": self._check_language,
            "too_long": self._check_length,
            "policy_word": self._check_policy,
            "abusive_output": self._check_abuse,
        }

    def run(
        self,
        answer: str,
        question: str,
        passages: list[Passage],
        customer_pii_values: Collection[str] = frozenset(),
        *,
        lang: Lang | None = None,
    ) -> OutputGuardResult:
        """lang: the question's language when the caller decided it already (the answer pipeline)."""
        allowed = self._allowed_pii(customer_pii_values, passages)
        redacted = self.redactor.run(answer, allowed=allowed)
        violations: list[Violation] = []
        if redacted.findings:
            kinds = sorted({finding.kind for finding in redacted.findings})
            detail = f"redacted {len(redacted.findings)} PII value(s) not the customer's own"
            violations.append(Violation("pii_leak", detail, {"kinds": kinds}))
        draft = _Draft(redacted.text, question, passages, lang or detect_language(question))
        violations += [v for check in self.checks.values() if (v := check(draft)) is not None]
        return OutputGuardResult(not violations, redacted.text, violations, redacted.findings)

    def _allowed_pii(self, customer_values: Collection[str], passages: list[Passage]) -> set[str]:
        """Canonical keys of PII the answer may show: the customer's own, and public KB contacts."""
        sources = list(customer_values)
        if self.settings.allow_passage_pii:
            sources += [passage.text for passage in passages]
        return {match.key for source in sources for match in self.redactor.detect(source)}

    def _check_citations(self, draft: _Draft) -> Violation | None:
        valid = {passage.n or index for index, passage in enumerate(draft.passages, start=1)}
        invalid = sorted({n for n in citation_numbers(draft.answer) if n not in valid})
        if not invalid:
            return None
        return Violation(
            "invalid_citation", f"cites {invalid}, passages are {sorted(valid)}", {"invalid": invalid}
        )

    def _check_language(self, draft: _Draft) -> Violation | None:
        if not draft.answer.strip() or not draft.question.strip():
            return None
        want, got = draft.lang, detect_language(draft.answer)
        if want == got:
            return None
        share = round(cjk_share(draft.answer), 2)
        detail = f"question is {want}, answer is {got}"
        return Violation("lang_mismatch", detail, {"expected": want, "cjk_share": share})

    def _check_length(self, draft: _Draft) -> Violation | None:
        limit = self.settings.max_answer_chars
        if len(draft.answer) <= limit:
            return None
        chars = len(draft.answer)
        return Violation("too_long", f"{chars} chars > {limit}", {"chars": chars, "limit": limit})

    def _check_policy(self, draft: _Draft) -> Violation | None:
        # A phrase quoted from the knowledge base ("we guarantee delivery in 48 h") is the
        # company's own statement, not a promise the model made up.
        passage_terms = {hit.term for p in draft.passages for hit in self.wordlists.policy.find(p.text)}
        terms = [
            hit.term for hit in self.wordlists.policy.find(draft.answer) if hit.term not in passage_terms
        ]
        if not terms:
            return None
        return Violation("policy_word", f"answer uses {terms}", {"terms": terms})

    def _check_abuse(self, draft: _Draft) -> Violation | None:
        terms = [hit.term for hit in self.wordlists.abuse.find(draft.answer)]
        if not terms:
            return None
        return Violation("abusive_output", f"answer uses {terms}", {"terms": terms})
