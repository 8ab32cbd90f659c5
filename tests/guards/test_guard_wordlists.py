from __future__ import annotations

from pathlib import Path

import pytest

from assistant.guards import GuardSettings, WordList, WordLists
from assistant.guards.wordlists import parse_terms


def categories(wordlist: WordList, text: str) -> set[str]:
    return {hit.category for hit in wordlist.find(text)}


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("you are an IDIOT", "insult"),
        ("ｉｄｉｏｔ bot", "insult"),  # full-width
        ("you absolute asshole", "insult"),
        ("assholes, all of you", "insult"),  # trailing * wildcard
        ("fuck you", "insult"),
        ("this fucking hub", "profanity"),
        ("你这个傻逼", "insult"),
        ("你 是 傻 逼", "insult"),  # spaced-out characters
        ("蠢豬", "insult"),  # traditional characters
        ("我要杀了你", "threat"),
        ("I will kill you", "threat"),
        ("卧槽，又坏了", "profanity"),
    ],
)
def test_abuse_is_found(wordlists: WordLists, text: str, category: str) -> None:
    assert category in categories(wordlists.abuse, text)


@pytest.mark.parametrize(
    "text",
    [
        "I live in Scunthorpe",
        "a classic assistant",
        "reading Dickens with a cocktail",
        "shitake mushrooms and an assessment",
        "hello, my therapist said the class was bass-heavy",
        "I'll kill the app and restart it",
        "滚筒洗衣机不转了",
        "水滚开了就断电",
        "妈妈的生日礼物",
        "我靠近门口时门铃不响",
        "垃圾分类和废物回收",
        "人工智能音箱",
    ],
)
def test_no_substring_false_positives(wordlists: WordLists, text: str) -> None:
    assert wordlists.abuse.find(text) == []


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I'm going to sue the company", "legal_threat"),
        ("我要找律师起诉你们", "legal_threat"),
        ("I want to file a complaint", "complaint"),
        ("我要打12315投诉", "complaint"),
        ("I'll do a chargeback", "refund_dispute"),
        ("还没退款，重复扣款了", "refund_dispute"),
        ("the charger caught fire", "safety_incident"),
        ("插座冒烟了", "safety_incident"),
        ("let me talk to a human", "human_request"),
        ("转人工", "human_request"),
    ],
)
def test_sensitive_topics(wordlists: WordLists, text: str, category: str) -> None:
    assert category in categories(wordlists.sensitive, text)


def test_sensitive_topics_need_the_whole_phrase(wordlists: WordLists) -> None:
    assert wordlists.sensitive.find("Hi, I'm Sue, my hub is offline") == []
    assert wordlists.sensitive.find("人工智能能帮我查物流吗") == []


def test_parse_terms_sections_comments_and_default_category() -> None:
    lines = ["# comment", "", "ＦＯＯ", "[brand]", "Acme Corp", "bar*"]
    assert parse_terms(lines, "policy") == {"foo": "policy", "acme corp": "brand", "bar*": "brand"}


def test_extra_files_extend_the_builtin_list(tmp_path: Path) -> None:
    extra = tmp_path / "policy_extra.txt"
    extra.write_text("competitor x\n[legal]\n免责\n", encoding="utf-8")
    lists = WordLists.from_settings(GuardSettings(policy_files=(extra,)))
    hits = {(hit.term, hit.category) for hit in lists.policy.find("Try Competitor  X, 免责. I promise!")}
    assert hits == {("competitor x", "policy"), ("免责", "legal"), ("i promise", "promise")}


def test_missing_extra_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        WordList.load("abuse", [tmp_path / "missing.txt"])
