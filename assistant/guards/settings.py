"""Guard settings with safe defaults; the app maps KEFU_GUARD_* variables onto these fields."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GuardSettings:
    # Noisy-OR score at which a user message counts as prompt injection and is blocked.
    injection_threshold: float = 0.6
    # Retrieved passages are stricter: a planted sentence is removed at this score.
    passage_threshold: float = 0.5
    # Abuse categories that block a message; the rest (e.g. "profanity") are only recorded,
    # because a frustrated customer who swears still deserves an answer.
    abuse_block_categories: tuple[str, ...] = ("insult", "threat")
    max_input_chars: int = 4000
    max_answer_chars: int = 1200
    # PII kinds to redact: any of "email", "phone", "cn_id", "bank_card".
    pii_kinds: tuple[str, ...] = ("email", "phone", "cn_id", "bank_card")
    # Keep the raw PII value in findings (off: only a salted hash leaves the guard).
    pii_keep_raw: bool = False
    # HMAC key for PII hashes; set a secret per deployment so hashes cannot be brute-forced.
    pii_salt: str = "kefu-pii"
    # PII that appears in the retrieved passages (a support hotline, a shop e-mail) is public.
    allow_passage_pii: bool = True
    # Extra word-list files, same format as assistant/guards/data/*.txt.
    abuse_files: tuple[Path, ...] = ()
    sensitive_files: tuple[Path, ...] = ()
    policy_files: tuple[Path, ...] = ()
