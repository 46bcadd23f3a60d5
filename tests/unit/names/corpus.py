"""The shared names corpus, read with the TSV convention it is written in."""

from dataclasses import dataclass
from pathlib import Path

from domain.names import NameField
from entrypoints.tsv import decode_field

# CI lays shared/ beside the clone, as on a development machine.
CORPUS_PATH = (
    Path(__file__).resolve().parents[3].parent / "shared" / "names" / "corpus.tsv"
)


@dataclass(frozen=True)
class CorpusRow:
    """One case of the corpus, with its line number for test ids."""

    line: int
    raw_value: str
    value: str | None
    expected: str | None
    field: NameField
    lang: str
    note: str

    @property
    def ambiguous(self) -> bool:
        """Rows with no single right answer."""
        return self.note.startswith("ambiguous")

    @property
    def id(self) -> str:
        """A short test id: line number and the start of the input."""
        return f"line{self.line}:{self.raw_value[:24]}"


def read_corpus(path: Path = CORPUS_PATH) -> list[CorpusRow]:
    """Every row of the corpus after its header."""
    rows = []
    lines = path.read_text(encoding="utf-8").split("\n")
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        value, expected, field, lang, note = line.split("\t")
        rows.append(
            CorpusRow(
                line=number,
                raw_value=value,
                value=decode_field(value),
                expected=decode_field(expected),
                field=NameField(field),
                lang=lang,
                note=note,
            )
        )
    return rows


CORPUS = read_corpus()

# Where the documented behaviour for an ambiguous row differs from the corpus's
# suggestion: input -> our result (docs/decisions/name-formatting.md says why).
DOCUMENTED_DEVIATIONS = {
    "DESHAWN": "Deshawn",
    "LEBRON": "Lebron",
    "JA'MARR": "Ja'marr",
    "MACKENZIE": "MacKenzie",
    "MACMILLAN": "MacMillan",
    "DA VINCI": "Da Vinci",
}


def documented_result(row: CorpusRow) -> str | None:
    """The result we document for a row: the expected one unless listed above."""
    if row.ambiguous and row.value in DOCUMENTED_DEVIATIONS:
        return DOCUMENTED_DEVIATIONS[row.value]
    return row.expected
