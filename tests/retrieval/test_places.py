"""A city or country a customer names is held by a passage naming its country or a region holding
it (assistant.retrieval.places): "a flight to Tokyo" over the row for "Japan and South Korea", "飞
曼谷" over "东南亚航线"; a place no passage covers stays missing, as a near miss's name does."""

from __future__ import annotations

import pytest

from assistant.answerability import evidence
from assistant.retrieval.places import PlacesFileError, gazetteer, parse_places
from assistant.retrieval.text import key_terms
from tests.answer.conftest import passage


def test_places_a_question_names() -> None:
    places = gazetteer()
    assert places.named("How much is an exit row seat on a flight to Tokyo?") == [("Tokyo", "JP")]
    assert places.named("寄去大阪要几天？") == [("大阪", "JP")]
    assert places.named("Shipping to New York City and the U.S.") == [("New York City", "US"), ("U.S.", "US")]
    # Lower-case words are not names; a region's name is no country's ("South America" is not the US).
    assert places.named("Will you put my purchase in nice paper?") == []
    assert places.named("Do you ship to South America?") == []


def test_countries_a_text_covers_through_its_regions() -> None:
    places = gazetteer()
    covered = places.covered("大陆、日韩及东南亚航线（新台币元）: 600")
    assert {"CN", "JP", "KR", "TH", "SG"} <= covered and "AU" not in covered
    assert places.covered("Destination: Japan and South Korea") == {"JP", "KR"}
    assert places.covered("Canadian orders take 2 extra business days") == {"CA"}  # a demonym
    assert "CA" in places.covered("Shipping to North America") and places.covered("Our office") == frozenset()


def test_a_place_is_held_by_its_country_or_region_not_by_another() -> None:
    question = "How much is an exit row seat on a flight to Tokyo?"
    terms = key_terms(question)
    assert gazetteer().held(question, terms, "Japan and South Korea: NT$600") == {"tokyo"}
    assert gazetteer().held(question, terms, "Australia: NT$1,000") == set()


def test_the_judge_counts_a_covered_place_as_held_and_an_uncovered_one_as_missing() -> None:
    row = passage(
        1, "Roaming", "Destination: Japan and South Korea; Day pass (HK$ per day): 58", kind="table"
    )
    tokyo = evidence("How much is the roaming day pass in Tokyo?", [row])
    toronto = evidence("How much is the roaming day pass in Toronto?", [row])
    assert "tokyo" not in tokyo.missing_terms and tokyo.features["coverage"] == 1.0
    assert "toronto" in toronto.missing_terms


def test_a_bad_line_is_named() -> None:
    with pytest.raises(PlacesFileError, match="line 2"):
        parse_places(["C JP AS | Japan", "X oops"])
