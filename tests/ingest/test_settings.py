"""The one settings tree (ingest/config.py): its groups, each group read from its own environment
variables (today's names), nested overrides, one cached build, and README's table generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.retrieval import fusion
from ingest.config import (
    GROUPS,
    AnalyticsSettings,
    EscalationSettings,
    GuardSettings,
    RetrievalSettings,
    Settings,
    get_settings,
)
from ingest.config_view import effective, markdown_table, readme_table, variables

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A clean environment: no KEFU_ variable of the machine, no .env file of the working folder."""
    import os

    for name in list(os.environ):
        if name.startswith("KEFU_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_the_tree_has_every_group_and_each_variable_is_unique() -> None:
    settings = Settings()
    assert list(GROUPS) == [
        "storage", "ingest", "models", "retrieval", "answer", "guards",
        "escalation", "service", "jobs", "analytics", "eval",
    ]  # fmt: skip
    for name, group in settings.groups():
        assert isinstance(group, GROUPS[name])
    names = [var.env for var in variables()]
    assert len(names) == len(set(names)), "two settings would read the same variable"
    assert len(names) > 100


@pytest.mark.parametrize(
    ("variable", "value", "group", "field", "expected"),
    [
        ("KEFU_DATA_DIR", "/srv/kefu", "storage", "data_dir", Path("/srv/kefu")),
        ("KEFU_CHUNK_TOKENS", "200", "ingest", "chunk_tokens", 200),
        ("KEFU_LLM_FALLBACKS", "a/b, c/d", "models", "llm_fallbacks", ["a/b", "c/d"]),
        ("KEFU_BM25_WEIGHT", "2.5", "retrieval", "bm25_weight", 2.5),
        ("KEFU_CONDENSE_HISTORY_MESSAGES", "4", "retrieval", "condense_history_messages", 4),
        ("KEFU_LLM_MIN_GROUNDED_RATE", "0", "answer", "llm_min_grounded_rate", 0.0),
        ("KEFU_GUARD_PII_SALT", "deployment-secret", "guards", "pii_salt", "deployment-secret"),
        ("KEFU_GUARD_PII_KINDS", "email,phone", "guards", "pii_kinds", ("email", "phone")),
        (
            "KEFU_ESCALATION_RULES",
            "complaint,legal_threat",
            "escalation",
            "rules",
            ["complaint", "legal_threat"],
        ),
        (
            "KEFU_ESCALATION_REFUND_THRESHOLDS",
            '{"USD": 99}',
            "escalation",
            "refund_thresholds",
            {"USD": 99.0},
        ),
        ("KEFU_CORS_ORIGINS", "https://shop.example", "service", "cors_origins", ["https://shop.example"]),
        ("KEFU_JOB_WORKERS", "3", "jobs", "job_workers", 3),
        ("KEFU_ANALYTICS_REPEAT_WINDOW_HOURS", "24", "analytics", "repeat_window_hours", 24.0),
        ("KEFU_DATASETS", "/data/sets", "eval", "datasets", Path("/data/sets")),
        ("KEFU_JUDGE_MODEL", "openai/gpt-4o", "eval", "judge_model", "openai/gpt-4o"),
    ],
)
def test_each_group_reads_its_variables(
    env: pytest.MonkeyPatch, variable: str, value: str, group: str, field: str, expected: object
) -> None:
    default = getattr(getattr(Settings(), group), field)
    assert default != expected
    env.setenv(variable, value)
    settings = Settings()
    assert getattr(getattr(settings, group), field) == expected
    if group not in ("guards", "escalation", "analytics"):  # the KEFU_<NAME> groups are mixed into the root
        assert getattr(settings, field) == expected
    assert getattr(GROUPS[group](), field) == expected  # a group built on its own reads the same variable


def test_a_dotenv_file_is_read(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("KEFU_GUARD_MAX_INPUT_CHARS=99\nKEFU_LLM_MODEL=openai/gpt-4o\n")
    settings = Settings()
    assert settings.guards.max_input_chars == 99
    assert settings.models.llm_model == "openai/gpt-4o"


def test_arguments_override_the_environment_group_by_group(env: pytest.MonkeyPatch) -> None:
    env.setenv("KEFU_ESCALATION_MAX_FAILURES", "7")
    env.setenv("KEFU_ESCALATION_LOW_CONFIDENCE", "0.4")
    env.setenv("KEFU_LLM_MODEL", "openai/gpt-4o")
    settings = Settings(data_dir="/tmp/kb", escalation={"max_failures": 1})
    assert settings.escalation.max_failures == 1  # given
    assert settings.escalation.low_confidence == 0.4  # from the environment, not reset to the default
    assert settings.storage.data_dir == Path("/tmp/kb")
    assert settings.models.llm_model == "openai/gpt-4o"
    copy = settings.model_copy(update={"llm_model": "kefu-local/x"})
    assert copy.models.llm_model == "kefu-local/x" and settings.models.llm_model == "openai/gpt-4o"


def test_bad_values_are_refused_with_the_variable_named(env: pytest.MonkeyPatch) -> None:
    env.setenv("KEFU_GUARD_INJECTION_THRESHOLD", "high")
    with pytest.raises(ValidationError, match="injection_threshold"):
        Settings()
    env.delenv("KEFU_GUARD_INJECTION_THRESHOLD")
    env.setenv("KEFU_JOB_QUEUE", "procrastinate")
    with pytest.raises(ValidationError, match="KEFU_DATABASE_URL=postgresql"):
        Settings()
    with pytest.raises(ValidationError, match="KEFU_WECHAT_AES_KEYS"):
        Settings(job_queue="thread", wechat_aes_keys={"shop": "too-short"})


def test_get_settings_is_built_once_and_rebuilt_after_cache_clear(env: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    try:
        first = get_settings()
        assert get_settings() is first
        env.setenv("KEFU_ESCALATION_MAX_FAILURES", "9")
        assert get_settings().escalation.max_failures == first.escalation.max_failures  # cached
        get_settings.cache_clear()
        assert get_settings().escalation.max_failures == 9
    finally:
        get_settings.cache_clear()


def test_retrieval_defaults_are_fusions_measured_ones() -> None:
    retrieval = RetrievalSettings(_env_file=None)
    assert retrieval.fusion_method == fusion.DEFAULT_METHOD
    assert retrieval.weights == fusion.DEFAULT_WEIGHTS
    assert retrieval.rrf_k == fusion.DEFAULT_RRF_K
    assert retrieval.faq_boost == fusion.DEFAULT_FAQ_BOOST
    assert retrieval.max_chunks_per_document == fusion.DEFAULT_CHUNKS_PER_DOCUMENT
    assert retrieval.max_faq_pairs_per_document == fusion.DEFAULT_FAQ_PAIRS_PER_DOCUMENT


def test_every_variable_is_described() -> None:
    missing = [var.env for var in variables() if not var.field.description]
    assert not missing


def test_readme_configuration_table_is_the_generated_one() -> None:
    assert readme_table(README.read_text(encoding="utf-8")) == markdown_table(), (
        "README's configuration table is stale: replace it with `kefu config --markdown`"
    )


def test_effective_settings_mask_secrets(env: pytest.MonkeyPatch) -> None:
    env.setenv("KEFU_DATABASE_URL", "postgresql+psycopg://kefu:hunter2@db:5432/kefu")
    env.setenv("KEFU_GUARD_PII_SALT", "hunter2")
    env.setenv("KEFU_LLM_API_KEY", "sk-hunter2")
    env.setenv("KEFU_WEBHOOK_SECRETS", '{"shop": "hunter2"}')
    rows = {row["variable"]: row for row in effective(Settings())}
    assert "hunter2" not in repr(rows)
    assert rows["KEFU_DATABASE_URL"]["value"] == "postgresql+psycopg://kefu:****@db:5432/kefu"
    assert rows["KEFU_WEBHOOK_SECRETS"]["value"] == {"shop": "****"}
    assert rows["KEFU_GUARD_PII_SALT"]["default"] is False
    assert rows["KEFU_LLM_MODEL"]["default"] is True


def test_groups_built_alone_are_the_tree_groups_types(env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert isinstance(settings.guards, GuardSettings)
    assert isinstance(settings.escalation, EscalationSettings)
    assert isinstance(settings.analytics, AnalyticsSettings)
    assert settings.service.max_message_chars == settings.guards.max_input_chars == 4000
    env.setenv("KEFU_GUARD_MAX_INPUT_CHARS", "6000")
    assert Settings().max_message_chars == 6000  # unset, the chat limit is the guard's
    env.setenv("KEFU_MAX_MESSAGE_CHARS", "500")
    assert Settings().max_message_chars == 500
