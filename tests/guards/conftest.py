from __future__ import annotations

import pytest

from assistant.guards import GuardSettings, InputGuard, OutputGuard, WordLists


@pytest.fixture(scope="session")
def wordlists() -> WordLists:
    return WordLists.from_settings(GuardSettings())


@pytest.fixture(scope="session")
def input_guard(wordlists: WordLists) -> InputGuard:
    return InputGuard(wordlists=wordlists)


@pytest.fixture(scope="session")
def output_guard(wordlists: WordLists) -> OutputGuard:
    return OutputGuard(wordlists=wordlists)
