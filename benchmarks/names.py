"""Name values formatted per second on one core.

Three mixes: the corpus rows repeated (word caches warm, as in a long-running
service), the same rows with the word caches cleared before each pass (every
word seen for the first time), and the corpus's expected values, which are
already tidy (most events are echoes of our own updates).
"""

import time
from collections.abc import Callable
from pathlib import Path

from domain.names import NameField, format_name
from domain.names.engine import clear_word_caches
from entrypoints.tsv import decode_field

CORPUS_PATH = (
    Path(__file__).resolve().parents[1].parent / "shared" / "names" / "corpus.tsv"
)
SECONDS_PER_MIX = 1.0

Sample = list[tuple[str | None, NameField, str]]


def run() -> str:
    """Measure the three mixes and return the result line."""
    sample = corpus_sample()
    tidy = [
        (format_name(value, field, lang), field, lang) for value, field, lang in sample
    ]

    warm = values_per_second(sample)
    cold = values_per_second(sample, before_pass=clear_word_caches)
    echoes = values_per_second(tidy)
    return (
        f"names: values_per_s={warm:.0f} tidy_values_per_s={echoes:.0f}"
        f" cold_values_per_s={cold:.0f} rows={len(sample)}"
    )


def corpus_sample(path: Path = CORPUS_PATH) -> Sample:
    """The input, field and language of every corpus row."""
    lines = path.read_text(encoding="utf-8").split("\n")[1:]
    rows = [line.split("\t") for line in lines if line]
    return [(decode_field(row[0]), NameField(row[2]), row[3]) for row in rows]


def values_per_second(
    sample: Sample, before_pass: Callable[[], None] | None = None
) -> float:
    """Format `sample` over and over for about a second; values per second.

    `before_pass` runs before each pass, outside the timed part.
    """
    done, spent = 0, 0.0
    while spent < SECONDS_PER_MIX:
        if before_pass is not None:
            before_pass()
        started = time.perf_counter()
        for value, field, lang in sample:
            format_name(value, field, lang)
        spent += time.perf_counter() - started
        done += len(sample)
    return done / spent
