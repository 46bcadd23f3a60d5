"""Name values formatted per second on one core.

The main figure is measured on generated names that the engine has never
seen: tens of thousands of distinct values built from syllables, particles and
prefixes of the corpus's languages and scripts, in the corpus's mix of case
(mostly UPPER and lower, some Title and mixed), with every cache cleared
before each pass. Two more mixes: the same values once formatted, which are
tidy (most events are echoes of our own updates), and the same values again
with warm caches. The corpus rows with caches cleared are reported too: they
are a harder mix (a 300-word value, a 100-part word, many particles).
"""

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from domain.names import NameField, format_name
from domain.names.engine import clear_word_caches
from entrypoints.tsv import decode_field

CORPUS_PATH = (
    Path(__file__).resolve().parents[1].parent / "shared" / "names" / "corpus.tsv"
)
SECONDS_PER_MIX = 1.0
MIN_PASSES = 3
GENERATED_VALUES = 40_000
SEED = 20240611

Sample = list[tuple[str | None, NameField, str]]

FIRST, MIDDLE, LAST = NameField.FIRST, NameField.MIDDLE, NameField.LAST


@dataclass(frozen=True)
class Kit:
    """The pieces of one language's names, all typed in lower case.

    `given` and `family` are syllables joined into one word; `particles` may
    stand before a last name, `prefixes` are glued to its start (mc, o');
    `patronymic` endings make a middle name from a given-name stem.
    """

    tags: tuple[str, ...]
    weight: int
    given: tuple[str, ...]
    family: tuple[str, ...]
    particles: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    patronymic: tuple[str, ...] = ()
    hyphen_given: bool = False
    caseless: bool = False


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


KITS = (
    Kit(
        ("en", "en-US", "en-GB", "und"),
        30,
        _split(
            "ja son mi chael bran don ash ley kay la ri ver ty ler mad di ev an"
            " jor dan har per lo gan ro bert el ca mil ton au bree"
        ),
        _split(
            "smith ward ing ton ham wood ford bur ley car ter mor gan wil son"
            " kins haw thorn ell brook field stan well cole man"
        ),
        particles=("st", "van", "de la"),
        prefixes=("mc", "mac", "o'", "d'", "fitz"),
    ),
    Kit(
        ("ru", "uk", "be"),
        14,
        _split(
            "ан дрей сер гей ми ха ил на та ль я ол ег ва си лий ни ко лай"
            " ев ге ний ма рия ки рилл"
        ),
        _split(
            "ив ан пет ров смир нов кузн ец по пов со ко лов мо ро зов вол"
            " к ле бе дев мар'ян сол ов'ян"
        ),
        particles=("фон", "де"),
        patronymic=("ович", "овна", "евич", "евна"),
    ),
    Kit(
        ("de", "de-AT"),
        6,
        _split("jür gen lu kas an ke hein rich frie de ri ke ul rich kat rin"),
        _split(
            "schmidt mül ler wei ß bau er stein berg mann hof kling gru ber lein groß"
        ),
        particles=("von", "zu", "von und zu"),
        hyphen_given=True,
    ),
    Kit(
        ("nl", "nl-BE"),
        5,
        _split("jan wil lem pie ter dirk hen drik ijs bert maar ten"),
        _split("bos ker vries jong berg meer dijk hout man veen ijzer"),
        particles=("van", "van der", "de", "ter", "van den", "'t"),
    ),
    Kit(
        ("fr", "fr-CA"),
        6,
        _split("jean luc pierre ma rie claude élo die fran çois hé lè ne"),
        _split("du pont lefè bvre mor eau gi rard bon net lau rent fon taine"),
        particles=("de", "du", "de la", "le"),
        prefixes=("d'",),
        hyphen_given=True,
    ),
    Kit(
        ("es", "es-MX", "pt", "pt-BR", "ca"),
        10,
        _split("jo sé ma rí a car men lu cí ja vi er con cei ção pau lo"),
        _split(
            "gar cía fer nán dez ro drí guez mar tí nez sil va sou za a ra ú jo ne ves"
        ),
        particles=("de", "del", "de la", "da", "dos", "de los"),
    ),
    Kit(
        ("it",),
        4,
        _split("gio van ni fran ce sca ma rio lu ca chia ra"),
        _split("ros si bi an chi co lom bo ric ci ma ri no"),
        particles=("di", "della", "lo", "da"),
        prefixes=("d'", "dell'"),
    ),
    Kit(
        ("pl", "cs", "hr", "ro"),
        5,
        _split("ło kasz woj ciech ży ła ja na pe tr ș te fan mi lo š"),
        _split("ko wal ski chow ska dvo řák čer ný brzę czy now ak"),
    ),
    Kit(
        ("el",),
        3,
        _split("γιαν νης κω στας νι κος ε λε νη μα ρί α γε ωρ γι ος"),
        _split("πα πα δο που λος νι κο λα ου ι ω αν νου"),
        hyphen_given=True,
    ),
    Kit(
        ("tr", "az"),
        3,
        _split("meh met ay şe yıl dız ka dir ir mak ça ğ lar is ma il"),
        _split("öz türk ka ya çe lik yıl maz ə li yev"),
    ),
    Kit(
        ("ga",),
        2,
        _split("seán ái ne sia ó bhán"),
        _split("briain dhomh naill huig inn sé"),
        particles=("ó", "ní", "mac", "mhac an"),
    ),
    Kit(
        ("ar-Latn", "ar"),
        3,
        _split("mo ham med ah mad kha lid ha san fa ti ma"),
        _split("has san sa yed khal dun rash id"),
        particles=("bin", "ibn", "abu"),
        prefixes=("al-", "el-"),
    ),
    Kit(
        ("zh", "zh-Hant", "ko", "vi"),
        4,
        _split("wei ming xiao li hua jun jae in min seo văn thị minh đức"),
        _split("zhang wang chen liu park kim nguyễn trần lê phạm"),
        hyphen_given=True,
    ),
    Kit(("hy",), 1, _split("ար ամ գրի գոր հով հան"), _split("պետ րոս յան եան")),
    Kit(
        ("ka",),
        1,
        _split("გი ორ ნი ნო ლე ვან"),
        _split("ბე რი ძე შვი ლი"),
        caseless=True,
    ),
    Kit(
        ("ja", "zh"),
        1,
        _split("太 郎 花 子 美"),
        _split("山 田 中 村 木"),
        caseless=True,
    ),
    Kit(("he",), 1, _split("שר ה דו ד"), _split("כה ן לו י"), caseless=True),
)


def generated_sample(count: int = GENERATED_VALUES, seed: int = SEED) -> Sample:
    """`count` distinct corpus-like values, the same ones for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not a secret
    weights = [kit.weight for kit in KITS]
    seen: set[tuple[str, NameField, str]] = set()
    sample: Sample = []
    while len(sample) < count:
        kit = rng.choices(KITS, weights)[0]
        field = rng.choices((FIRST, MIDDLE, LAST), (44, 6, 50))[0]
        lang = rng.choice(kit.tags)
        value = _value(rng, kit, field)
        value = value if kit.caseless else _cased(value, rng)
        if (value, field, lang) not in seen:
            seen.add((value, field, lang))
            sample.append((value, field, lang))
    return sample


def _word(rng: random.Random, syllables: Sequence[str]) -> str:
    return "".join(rng.choice(syllables) for _ in range(rng.choice((2, 2, 3))))


def _value(rng: random.Random, kit: Kit, field: NameField) -> str:
    if field is MIDDLE:
        return _middle(rng, kit)
    if field is FIRST:
        return _given(rng, kit)
    return _family(rng, kit)


def _given(rng: random.Random, kit: Kit) -> str:
    roll = rng.random()
    if roll < 0.04 and not kit.caseless:
        return ".".join(rng.choice("abcdefghjklmnprstw") for _ in range(2)) + "."
    name = _word(rng, kit.given)
    if kit.hyphen_given and roll < 0.25:
        return f"{name}-{_word(rng, kit.given)}"
    if roll > 0.85:
        return f"{name} {_word(rng, kit.given)}"
    return name


def _middle(rng: random.Random, kit: Kit) -> str:
    stem = _word(rng, kit.given)
    if kit.patronymic:
        return stem + rng.choice(kit.patronymic)
    if rng.random() < 0.3 and not kit.caseless:
        return stem[0]
    return stem


def _family(rng: random.Random, kit: Kit) -> str:
    name = _word(rng, kit.family)
    roll = rng.random()
    if kit.prefixes and roll < 0.12:
        name = rng.choice(kit.prefixes) + name
    elif kit.particles and roll < 0.30:
        name = f"{rng.choice(kit.particles)} {name}"
    elif roll > 0.93:
        name = f"{name}-{_word(rng, kit.family)}"
    elif roll > 0.88:
        name = f"{name} {_word(rng, kit.family)}"
    return name


def _cased(value: str, rng: random.Random) -> str:
    """`value` in the corpus's mix: UPPER, lower, Title and mixed per word."""
    roll = rng.random()
    if roll < 0.60:
        # Upper case keeps ß half the time, as careful typists do (GROß).
        keep = "ß" in value and rng.random() < 0.5
        return "ß".join(map(str.upper, value.split("ß"))) if keep else value.upper()
    if roll < 0.84:
        return value
    if roll < 0.90:
        return value.title()
    words = value.split(" ")
    return " ".join(_mixed(word, rng) for word in words)


def _mixed(word: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return word[:1] + word[1:].upper()
    if roll < 0.6:
        return word.upper()
    if roll < 0.8:
        return word[:1].upper() + word[1:2] + word[2:].upper()
    return word


def run() -> str:
    """Measure the mixes and return the result line."""
    sample = generated_sample()
    tidy = _formatted(sample)
    corpus = corpus_sample()

    cold = values_per_second(sample, before_pass=clear_word_caches)
    echoes = values_per_second(tidy, before_pass=clear_word_caches)
    cached = values_per_second(sample)
    corpus_cold = values_per_second(corpus, before_pass=clear_word_caches)
    return (
        f"names: values_per_s={cold:.0f} tidy_values_per_s={echoes:.0f}"
        f" cached_values_per_s={cached:.0f}"
        f" corpus_cold_values_per_s={corpus_cold:.0f}"
        f" values={len(sample)} unique_words={_unique_words(sample)}"
    )


def _formatted(sample: Sample) -> Sample:
    return [
        (format_name(value, field, lang), field, lang) for value, field, lang in sample
    ]


def _unique_words(sample: Sample) -> int:
    return len({word for value, _, _ in sample for word in (value or "").split()})


def corpus_sample(path: Path = CORPUS_PATH) -> Sample:
    """The input, field and language of every corpus row."""
    lines = path.read_text(encoding="utf-8").split("\n")[1:]
    rows = [line.split("\t") for line in lines if line]
    return [(decode_field(row[0]), NameField(row[2]), row[3]) for row in rows]


def values_per_second(
    sample: Sample, before_pass: Callable[[], None] | None = None
) -> float:
    """Values per second of CPU time in the fastest of several passes.

    `before_pass` runs before each pass, outside the timed part. CPU time of
    this process and the best pass keep other load on the machine out of
    the figure.
    """
    best, spent, passes = float("inf"), 0.0, 0
    while spent < SECONDS_PER_MIX or passes < MIN_PASSES:
        if before_pass is not None:
            before_pass()
        started = time.process_time()
        for value, field, lang in sample:
            format_name(value, field, lang)
        took = time.process_time() - started
        best, spent, passes = min(best, took), spent + took, passes + 1
    return len(sample) / best
