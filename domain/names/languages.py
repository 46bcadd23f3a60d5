"""What the rules need to know about a language, read from a BCP 47 tag."""

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

from domain.names.text import Script


@dataclass(frozen=True, slots=True)
class Particles:
    """Words a language writes in lower case inside a name, by position.

    `leading` words are lower before a following name word (van, de);
    `after_de` only right after "de" (Spanish de la, de los); `joining`
    between two words (Spanish y); `chain_joining` only between two particles
    (German von und zu); `trailing` after a name word (Turkic оглы);
    `elided` are the letters of an elided particle before an apostrophe
    (French d').
    """

    leading: frozenset[str] = frozenset()
    after_de: frozenset[str] = frozenset()
    joining: frozenset[str] = frozenset()
    chain_joining: frozenset[str] = frozenset()
    trailing: frozenset[str] = frozenset()
    elided: frozenset[str] = frozenset()
    connectors: frozenset[str] = dataclasses.field(init=False, default=frozenset())

    def __post_init__(self) -> None:
        # Particles that stay lower between the parts of a hyphenated name.
        joined = self.leading | self.after_de | self.joining | self.chain_joining
        object.__setattr__(self, "connectors", joined)

    def __or__(self, other: "Particles") -> "Particles":
        return Particles(
            leading=self.leading | other.leading,
            after_de=self.after_de | other.after_de,
            joining=self.joining | other.joining,
            chain_joining=self.chain_joining | other.chain_joining,
            trailing=self.trailing | other.trailing,
            elided=self.elided | other.elided,
        )


NO_PARTICLES = Particles()

# Dutch tussenvoegsels, with the elided 't and 's ('t Hart, 's Jacob).
DUTCH = Particles(
    leading=frozenset(
        {"van", "de", "der", "den", "in", "het", "ter", "ten", "'t", "'s"}
    )
)
# German nobiliary particles; "und" only inside a chain (von und zu).
GERMAN = Particles(
    leading=frozenset({"von", "vom", "zu", "zum", "zur"}),
    chain_joining=frozenset({"und"}),
)
# Spanish and Portuguese particles and the conjunctions y and e.
IBERIAN = Particles(
    leading=frozenset({"de", "del", "da", "das", "do", "dos"}),
    after_de=frozenset({"la", "las", "los"}),
    joining=frozenset({"y", "e"}),
)
# French: de, du, des and elided d'; the articles La, Le, Les keep capitals.
FRENCH = Particles(leading=frozenset({"de", "du", "des"}), elided=frozenset({"d"}))
# Catalan: de, del, dels, elided d' and the conjunction i (Mas i Gavarró).
CATALAN = Particles(
    leading=frozenset({"de", "del", "dels"}),
    joining=frozenset({"i"}),
    elided=frozenset({"d"}),
)
# Swedish noble particles (af Klint).
SWEDISH = Particles(leading=frozenset({"af", "av", "von"}))
# Welsh patronymic particles (ap Llwyd, ferch Gruffudd).
WELSH = Particles(leading=frozenset({"ap", "ab", "ferch", "verch"}))
# Irish article an, and 'ac, 'ic for Mac, Nic with the M or N elided.
IRISH = Particles(leading=frozenset({"an", "'ac", "'ic"}))
# Azerbaijani patronymic markers, also as typed without Azerbaijani letters.
AZERBAIJANI = Particles(trailing=frozenset({"oğlu", "qızı", "oglu", "qizi"}))
# Romanised Arabic: bin and bint lower inside a name (Mohammed bin Salman);
# Ibn, Abu and the article al- keep their capitals at the start.
ARABIC = Particles(leading=frozenset({"bin", "bint"}))
# Russian-language documents: фон, дер, де, and Turkic patronymic markers.
RUSSIAN = Particles(
    leading=frozenset({"фон", "дер", "де"}),
    trailing=frozenset({"оглы", "кызы", "улы", "уулу", "гызы"}),
)
# Unknown language: the Dutch, German, Spanish and Portuguese set.
DEFAULT_LATIN = DUTCH | GERMAN | IBERIAN

_EVERY_SET = (
    DUTCH, GERMAN, IBERIAN, FRENCH, CATALAN, SWEDISH, WELSH, IRISH, AZERBAIJANI,
    ARABIC, RUSSIAN,
)  # fmt: skip
# Words that are a particle in some language, before and after a name word.
ANY_LEADING_PARTICLE = frozenset[str]().union(*(p.connectors for p in _EVERY_SET))
ANY_TRAILING_PARTICLE = frozenset[str]().union(*(p.trailing for p in _EVERY_SET))

_LATIN_PARTICLES = {
    "nl": DUTCH,
    "de": GERMAN,
    "es": IBERIAN,
    "pt": IBERIAN,
    "gl": IBERIAN,
    "fr": FRENCH,
    "ca": CATALAN,
    "sv": SWEDISH,
    "cy": WELSH,
    "ga": IRISH,
    "az": AZERBAIJANI,
    "ar": ARABIC,
}
# Belgian Dutch civil registers keep the particle's capital (Van Damme).
_REGIONAL_LATIN_PARTICLES = {("nl", "be"): NO_PARTICLES}

# Languages normally written in Cyrillic or Greek: Latin names on such a
# portal are foreign, so they get the unknown-language particle set.
_CYRILLIC_LANGUAGES = frozenset(
    {"ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn", "tt", "ba"}
)
_GREEK_LANGUAGES = frozenset({"el"})
# Chinese and Korean hyphenated given names keep the second syllable lower.
_EAST_ASIAN_LANGUAGES = frozenset(
    {"zh", "ko", "yue", "wuu", "hak", "nan", "cmn", "cdo", "gan", "hsn"}
)
# Where a given name of two consonants (JJ, TJ) is a pair of initials.
_INITIAL_PAIR_LANGUAGES = frozenset({"en", "und"})
UNKNOWN = "und"


@dataclass(frozen=True, eq=False, slots=True)
class LanguageProfile:
    """The language-dependent switches of the rules for one language tag."""

    language: str
    latin: Particles
    cyrillic: Particles
    turkic: bool
    dutch: bool
    tussenvoegsel: bool
    east_asian: bool
    initial_pairs: bool
    irish: bool
    english: bool
    italian: bool

    def particles(self, script: Script) -> Particles:
        """The particles for a word written in `script`."""
        if script is Script.LATIN:
            return self.latin
        if script is Script.CYRILLIC:
            return self.cyrillic
        return NO_PARTICLES


@lru_cache(maxsize=256)
def profile_for(tag: str | None) -> LanguageProfile:
    """The profile for a BCP 47 tag; any text (or None) gives some profile."""
    language, script, region = _parse_tag(tag)
    return LanguageProfile(
        language=language,
        latin=_latin_particles(language, script, region),
        cyrillic=RUSSIAN,
        turkic=language in ("tr", "az"),
        dutch=language == "nl",
        tussenvoegsel=language == "nl" and region != "be",
        east_asian=language in _EAST_ASIAN_LANGUAGES,
        initial_pairs=language in _INITIAL_PAIR_LANGUAGES,
        irish=language == "ga",
        english=language == "en",
        italian=language == "it",
    )


def _parse_tag(tag: str | None) -> tuple[str, str, str]:
    """Primary language, script and region subtags, lower case ("" if absent)."""
    text = tag.strip().lower().replace("_", "-") if isinstance(tag, str) else ""
    subtags = text.split("-")
    language = subtags[0]
    if not (2 <= len(language) <= 3 and language.isascii() and language.isalpha()):
        language = UNKNOWN
    script = next((s for s in subtags[1:] if len(s) == 4 and s.isalpha()), "")
    region = next((s for s in subtags[1:] if _is_region(s)), "")
    return language, script, region


def _is_region(subtag: str) -> bool:
    return (len(subtag) == 2 and subtag.isalpha()) or (
        len(subtag) == 3 and subtag.isdigit()
    )


def _latin_particles(language: str, script: str, region: str) -> Particles:
    regional = _REGIONAL_LATIN_PARTICLES.get((language, region))
    if regional is not None:
        return regional
    if language in _LATIN_PARTICLES:
        return _LATIN_PARTICLES[language]
    if language == UNKNOWN or _writes_cyrillic_or_greek(language, script):
        return DEFAULT_LATIN
    return NO_PARTICLES


def _writes_cyrillic_or_greek(language: str, script: str) -> bool:
    if script:
        return script in ("cyrl", "grek")
    return language in _CYRILLIC_LANGUAGES or language in _GREEK_LANGUAGES
