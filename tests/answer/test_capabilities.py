from __future__ import annotations

from assistant.llm import model_capabilities


def test_local_model_is_weak_and_english_only() -> None:
    caps = model_capabilities("kefu-local/smollm2-135m-instruct")
    assert caps.local and not caps.can_rewrite and not caps.can_judge and not caps.cites_zero_shot
    assert caps.writes("en") and not caps.writes("zh") and not caps.writes("zh-CN")


def test_same_small_model_behind_a_loopback_server_is_still_weak() -> None:
    assert not model_capabilities("openai/smollm2-135m-instruct").writes("zh")


def test_hosted_models_are_capable() -> None:
    caps = model_capabilities("deepseek/deepseek-chat")
    assert caps.writes("zh") and caps.can_rewrite and caps.can_judge and not caps.local
