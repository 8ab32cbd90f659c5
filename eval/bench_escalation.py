"""Escalation benchmark: labelled bilingual conversations replayed through the escalation policy.

    python -m eval.bench_escalation [--data eval/data/escalation_conversations.jsonl]
                                    [--lexical-only] [--similarity] [--covid DIR]

Each conversation (JSONL: id, split, lang, turns [{user, bot}], escalate, reasons, at) is replayed turn
by turn as the pipeline would: the real input guard runs on each customer message (so guardrail
blocks and guard flags are real), the bot's outcome comes from the data ("answered", "refused",
"low_confidence"; a blocked message overrides it), and the policy runs after every turn until it
first escalates. No LLM and no knowledge base are needed.

split "dev": the conversations the rules were written and corrected against (the *-b2-* ones were
scored blind first, then the rules were generalised); split "heldout" (*-b3-*): written after the
last rule change and never tuned on, so its numbers are the honest estimate.

Prints precision/recall/F1 of "escalate or not" and per reason code (a reason counts as found when
the policy names it at the turn it escalates), a reason confusion table, how often the escalation
came at the labelled turn, and every mistake.

--similarity  measures the question-question cosine thresholds (rephrasing and FAQ de-duplication)
              on eval/data/paraphrase_pairs.jsonl and the covid_faq paraphrase set.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.config import EscalationSettings, Settings, get_settings
from assistant.escalation.policy import EscalationPolicy
from assistant.escalation.types import EscalationDecision, TurnContext, TurnRecord
from assistant.guards.input_guard import InputGuard
from ingest.embedding import Embedder, get_embedder

DATA = Path(__file__).parent / "data"
CONVERSATIONS = DATA / "escalation_conversations.jsonl"
PAIRS = DATA / "paraphrase_pairs.jsonl"
NONE = "none"


@dataclass
class Replay:
    id: str
    split: str
    expected: bool
    expected_reasons: list[str]
    expected_at: int | None
    escalated_at: int | None = None
    reasons: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def replay(conversation: dict, policy: EscalationPolicy, guard: InputGuard) -> Replay:
    result = Replay(
        conversation["id"],
        conversation.get("split", "dev"),
        conversation["escalate"],
        conversation["reasons"],
        conversation.get("at"),
    )
    turns: list[TurnRecord] = []
    for index, turn in enumerate(conversation["turns"]):
        checked = guard.run(turn["user"])
        flags = [
            name
            for name in ("injection", "pii")
            if any(v.get("guard") == name and v.get("flagged") for v in checked.verdicts)
        ]
        flags += [f"abuse:{hit.category}" for hit in checked.abuse]
        flags += [f"sensitive:{category}" for category in checked.sensitive_categories]
        turns.append(
            TurnRecord(
                user=checked.text,
                outcome="blocked" if checked.blocked else turn["bot"],
                block_reason=checked.block_reason,
                guard_flags=tuple(flags),
            )
        )
        decision: EscalationDecision | None = policy.run(TurnContext(list(turns), lang=conversation["lang"]))
        if decision is not None:
            result.escalated_at = index
            result.reasons = decision.reason_codes
            result.details = [hit.detail for hit in decision.hits]
            break
    return result


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _escalate_line(name: str, replays: Sequence[Replay]) -> str:
    tp = sum(r.expected and r.escalated for r in replays)
    fp = sum(not r.expected and r.escalated for r in replays)
    fn = sum(r.expected and not r.escalated for r in replays)
    tn = sum(not r.expected and not r.escalated for r in replays)
    p, rec, f1 = prf(tp, fp, fn)
    return (
        f"{name:<16} precision {p:.3f}  recall {rec:.3f}  F1 {f1:.3f}   (tp {tp}, fp {fp}, fn {fn}, tn {tn})"
    )


def report(replays: Sequence[Replay], seconds: float) -> None:
    positives = sum(r.expected for r in replays)
    print(
        f"{len(replays)} conversations ({positives} escalate, {len(replays) - positives} do not), "
        f"{seconds:.1f} s\n"
    )
    print("escalate or not:")
    print(_escalate_line("  all", replays))
    for split in sorted({r.split for r in replays}):
        print(_escalate_line(f"  {split}", [r for r in replays if r.split == split]))
    on_time = [r for r in replays if r.expected and r.escalated]
    exact = sum(r.escalated_at == r.expected_at for r in on_time)
    print(f"escalated at the labelled turn: {exact}/{len(on_time)}\n")

    codes = sorted({c for r in replays for c in [*r.expected_reasons, *r.reasons]})
    print(f"{'reason':<20} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}")
    for code in codes:
        ctp = sum(code in r.reasons and code in r.expected_reasons for r in replays)
        cfp = sum(code in r.reasons and code not in r.expected_reasons for r in replays)
        cfn = sum(code not in r.reasons and code in r.expected_reasons for r in replays)
        cp, cr, cf = prf(ctp, cfp, cfn)
        print(f"{code:<20} {cp:>9.3f} {cr:>7.3f} {cf:>6.3f} {ctp + cfn:>8}")

    # Confusion on the main reason: the labelled one if the policy named it, else its first.
    def main(labels: Sequence[str], predicted: Sequence[str]) -> tuple[str, str]:
        expected = labels[0] if labels else NONE
        if not predicted:
            return expected, NONE
        return expected, expected if expected in predicted else predicted[0]

    pairs = Counter(main(r.expected_reasons, r.reasons) for r in replays)
    labels = [*codes, NONE]
    width = max(len(c) for c in labels) + 1
    print("\nconfusion (rows: labelled main reason, columns: predicted)")
    print(" " * width + "".join(f"{c[:10]:>11}" for c in labels))
    for row in labels:
        print(f"{row:<{width}}" + "".join(f"{pairs.get((row, col), 0) or '.':>11}" for col in labels))

    mistakes = [r for r in replays if r.expected != r.escalated or set(r.expected_reasons) != set(r.reasons)]
    if mistakes:
        print("\nmistakes (missed, extra or wrong reasons):")
    for r in mistakes:
        got = (
            f"escalated at turn {r.escalated_at}: {'; '.join(r.details)}" if r.escalated else "not escalated"
        )
        want = f"expected {', '.join(r.expected_reasons) or 'no escalation'}"
        print(f"  {r.id}: {want}; {got}")


# -- similarity thresholds ---------------------------------------------------------------------


def _cosines(embedder: Embedder, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    cache: dict[str, np.ndarray] = {}

    def vector(text: str) -> np.ndarray:
        if text not in cache:
            cache[text] = np.asarray(embedder.embed_query(text), dtype=np.float32)
        return cache[text]

    return np.array([float(vector(a) @ vector(b)) for a, b in pairs])


def _threshold_table(name: str, same: np.ndarray, different: np.ndarray) -> None:
    print(f"\n{name}: {len(same)} same-question pairs, {len(different)} different-question pairs")
    print(f"  same      p10 {np.percentile(same, 10):.3f}  median {np.median(same):.3f}")
    print(f"  different median {np.median(different):.3f}  p90 {np.percentile(different, 90):.3f}")
    print(f"  {'cosine >=':>10} {'recall':>7} {'false-same rate':>16} {'precision':>10}")
    for threshold in np.arange(0.90, 0.975, 0.01):
        hits, false = (same >= threshold).sum(), (different >= threshold).sum()
        precision = hits / (hits + false) if hits + false else float("nan")
        print(
            f"  {threshold:>10.2f} {hits / len(same):>7.3f} {false / len(different):>16.3f} {precision:>10.3f}"
        )


def similarity(embedder: Embedder, covid_dir: Path) -> None:
    rows = load(PAIRS)
    scores = _cosines(embedder, [(r["a"], r["b"]) for r in rows])
    labels = np.array([r["same"] for r in rows])
    _threshold_table(
        "kefu paraphrase pairs (en/zh, hard negatives on the same topic)", scores[labels], scores[~labels]
    )
    questions_path = covid_dir / "questions.jsonl"
    if not questions_path.exists():
        print(f"\n(covid_faq not found at {covid_dir}; skipped)")
        return
    # covid_faq: a paraphrase against its FAQ question, and against the closest other FAQ question
    # (what de-duplication meets: every FAQ in that set is about the same topic).
    items = load(questions_path)
    faqs = sorted({q for item in items for q in item["meta"]["faq_questions"]})
    vectors = np.stack([np.asarray(embedder.embed_query(q), dtype=np.float32) for q in faqs])
    index = {q: i for i, q in enumerate(faqs)}
    same, different = [], []
    for item in items:
        sims = vectors @ np.asarray(embedder.embed_query(item["question"]), dtype=np.float32)
        gold = [index[q] for q in item["meta"]["faq_questions"]]
        same.append(max(sims[g] for g in gold))
        sims[gold] = -1.0
        different.append(sims.max())
    _threshold_table(
        "covid_faq (paraphrase vs its FAQ question / vs the nearest other FAQ question)",
        np.array(same),
        np.array(different),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=CONVERSATIONS)
    parser.add_argument("--lexical-only", action="store_true", help="Rephrasing without the embedder.")
    parser.add_argument("--similarity", action="store_true", help="Measure the cosine thresholds instead.")
    parser.add_argument(
        "--covid", type=Path, default=None, help="covid_faq folder (default: the shared data sets)."
    )
    args = parser.parse_args(argv)
    embedder = None if args.lexical_only else get_embedder(Settings())
    if args.similarity:
        if embedder is None:
            parser.error("--similarity needs the embedder")
        similarity(embedder, args.covid or get_settings().eval.datasets_dir / "covid_faq")
        return
    config = EscalationSettings(_env_file=None)  # the defaults, not a deployment's .env
    policy = EscalationPolicy(config, embedder=embedder)
    guard = InputGuard()
    started = time.perf_counter()
    replays = [replay(conversation, policy, guard) for conversation in load(args.data)]
    report(replays, time.perf_counter() - started)


if __name__ == "__main__":
    main()
