"""Shared fixtures for the name-formatting tests."""

import pytest

from tests.unit.names.corpus import CORPUS, CorpusRow


@pytest.fixture(scope="session")
def corpus() -> list[CorpusRow]:
    """Every corpus row."""
    return CORPUS
