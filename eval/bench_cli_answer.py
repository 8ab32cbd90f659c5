"""Full-answer latency of the first question a `kefu ask` process answers, on the local stack.

Builds the bundled sample help centre (ingest/sample) in a fresh data folder, then runs one
`kefu ask --json` process per question, each cold, as a customer-service script or a shell user
would. It reports two figures per question and their p50/p95:

  answer   the turn's own full-answer time (timings_ms.total: guard, retrieve, decide, draft or
           quote, check), i.e. what the first CLI question waits for once kefu is loaded;
  process  the whole process's wall time, including Python start-up and loading the models.

Goal (issue: trustworthy answers): English answer p95 < 1.5 s from the first CLI question, with the
generation gate closed or a draft that is worth its time.

    python -m eval.bench_cli_answer [--data-dir DIR] [--lang en|zh|all]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eval.metrics import percentile

QUESTIONS = {
    "en": (
        "How long do I have to return an item?",
        "How long does standard shipping take?",
        "How long is the warranty on a Lumo Hub?",
        "What does Lumo Plus membership include?",
        "How do I reset my Lumo Hub?",
        "Can I change my delivery address after ordering?",
        "When will my refund arrive?",
        "How do I delete my account?",
        "Does Lumo sell travel insurance?",
        "What is the battery life of the Lumo Hub?",
    ),
    "zh": (
        "退货需要多长时间？",
        "运费是多少？",
        "保修期多久？",
        "会员有什么权益？",
    ),
}


def p(values: list[float], q: float) -> float:
    value = percentile(values, q)
    assert value is not None  # never empty: every language has questions
    return value


def kefu(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True, check=False
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", help="data folder to build the sample in (default: a temporary one)")
    parser.add_argument("--lang", choices=("en", "zh", "all"), default="en")
    args = parser.parse_args()
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="kefu-bench-cli-"))
    env = {**os.environ, "KEFU_DATA_DIR": str(data_dir)}
    from ingest.sample import sample_files

    built = kefu(["ingest", *map(str, sample_files()), "--kb", "sample"], env)
    if built.returncode != 0:
        sys.exit(f"ingest failed ({built.returncode}):\n{built.stdout}\n{built.stderr}")
    langs = ("en", "zh") if args.lang == "all" else (args.lang,)
    for lang in langs:
        answer_ms: list[float] = []
        process_s: list[float] = []
        modes: dict[str, int] = {}
        for question in QUESTIONS[lang]:
            started = time.perf_counter()
            asked = kefu(["ask", question, "--kb", "sample", "--json"], env)
            process_s.append(time.perf_counter() - started)
            if asked.returncode != 0:
                sys.exit(f"ask failed ({asked.returncode}): {question}\n{asked.stderr}")
            reply = json.loads(asked.stdout)
            answer_ms.append(float(reply["timings_ms"]["total"]))
            modes[reply["mode"]] = modes.get(reply["mode"], 0) + 1
            print(
                f"  {lang} {reply['timings_ms']['total']:8.1f} ms answer  {process_s[-1]:6.1f} s process"
                f"  {reply['mode']:<10} {question}",
                flush=True,
            )
        print(
            f"{lang}: {len(answer_ms)} questions, each the first of its process; modes {modes}\n"
            f"  answer   p50 {p(answer_ms, 50):7.1f} ms  p95 {p(answer_ms, 95):7.1f} ms\n"
            f"  process  p50 {p(process_s, 50):7.1f} s   p95 {p(process_s, 95):7.1f} s"
        )
        if lang == "en":
            p95 = p(answer_ms, 95)
            verdict = "ok" if p95 < 1500 else "MISSED"
            print(f"goal: English answer p95 {p95:.0f} ms < 1500 ms: {verdict}")


if __name__ == "__main__":
    main()
