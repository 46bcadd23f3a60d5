"""The principles of RULES.md, a group of behaviours each, beyond the corpus."""

import pytest

from domain.names import NameField, format_name

FIRST, MIDDLE, LAST = NameField.FIRST, NameField.MIDDLE, NameField.LAST

Case = tuple[str, NameField, str | None, str]


def _check(value: str, field: NameField, lang: str | None, expected: str) -> None:
    assert format_name(value, field, lang) == expected


WHITESPACE: list[Case] = [
    ("  anna \u00a0 maria\n", FIRST, "en", "Anna Maria"),
    ("\u2003\u3000\u200b", FIRST, "und", ""),
    ("petra\u2060", FIRST, "de", "Petra"),
    ("", LAST, None, ""),
]


@pytest.mark.parametrize(("value", "field", "lang", "expected"), WHITESPACE)
def test_whitespace_is_trimmed_collapsed_and_zero_width_dropped(
    value: str, field: NameField, lang: str | None, expected: str
) -> None:
    _check(value, field, lang, expected)


PER_WORD: list[Case] = [
    ("PETER schmidt", FIRST, "de", "Peter Schmidt"),
    ("DeWitt", LAST, "en", "DeWitt"),
    ("MacGregor", FIRST, "en", "MacGregor"),
    ("IJsselmeer", LAST, "en", "IJsselmeer"),
    ("Anna-LENA", FIRST, "de", "Anna-Lena"),
    ("al-Rashid", LAST, "ar-Latn", "al-Rashid"),
    ("pETER", FIRST, "de", "Peter"),
    ("пЕТР", FIRST, "ru", "Петр"),
    ("LaTOYA", FIRST, "en", "LaToya"),
    ("MacDOUGALL", LAST, "en", "MacDougall"),
]


@pytest.mark.parametrize(("value", "field", "lang", "expected"), PER_WORD)
def test_each_word_is_repaired_only_when_its_case_is_careless(
    value: str, field: NameField, lang: str | None, expected: str
) -> None:
    _check(value, field, lang, expected)


SCRIPTS: list[Case] = [
    ("ǆEMAL", FIRST, "bs", "ǅemal"),
    ("ΝΙΚΟΣ", FIRST, "el", "Νικος"),
    ("ΝΙΚΟΣ-ΣΤΑΥΡΟΣ", FIRST, "el", "Νικος-Σταυρος"),
    ("STRAßBURGER", LAST, "de", "Straßburger"),
    ("İREM", FIRST, "en", "Irem"),
    ("İREM", FIRST, "tr", "İrem"),
    ("ırmak", FIRST, "tr", "Irmak"),
    ("IŞIK", FIRST, "tr", "Işık"),
    ("IŞIK", FIRST, "de", "Işik"),
    ("KADİR", FIRST, "tr", "Kadir"),
    ("ipek", FIRST, "az", "İpek"),
    ("ipek", FIRST, "de", "Ipek"),
    ("ნინო", FIRST, "ka", "ნინო"),
    ("김민준", FIRST, "ko", "김민준"),
    ("ԳՐԻԳՈՐ", FIRST, "hy", "Գրիգոր"),
]


@pytest.mark.parametrize(("value", "field", "lang", "expected"), SCRIPTS)
def test_case_follows_unicode_and_the_words_script(
    value: str, field: NameField, lang: str | None, expected: str
) -> None:
    _check(value, field, lang, expected)


CAPITAL_PLACES: list[Case] = [
    ('"anna"', FIRST, "en", '"Anna"'),
    ("(bob)", FIRST, "en", "(Bob)"),
    ("😀anna", FIRST, "en", "😀Anna"),
    ("3rd", LAST, "en", "3rd"),
    ("jean–luc", FIRST, "fr", "Jean–Luc"),
    ("o'brien", LAST, "en", "O'Brien"),
    ("l’estrange", LAST, "en", "L’Estrange"),
    ("dell'orto", LAST, "it", "Dell'Orto"),
    ("ke'alohi", FIRST, "haw", "Ke'alohi"),
    ("ʻOHANA", LAST, "haw", "ʻOhana"),
    ("д'артаньян", LAST, "ru", "Д'артаньян"),
    ("marcel·lí", FIRST, "ca", "Marcel·lí"),
    ("j.-p.", FIRST, "fr", "J.-P."),
    ("a.b. smith", FIRST, "en", "A.B. Smith"),
    ("MIN-JUN", FIRST, "ko", "Min-jun"),
    ("PARK-LEE", LAST, "ko", "Park-Lee"),
]


@pytest.mark.parametrize(("value", "field", "lang", "expected"), CAPITAL_PLACES)
def test_capitals_go_at_word_starts_hyphens_known_apostrophes_and_initials(
    value: str, field: NameField, lang: str | None, expected: str
) -> None:
    _check(value, field, lang, expected)


MC_AND_MAC: list[Case] = [
    ("MCGRATH", FIRST, "en", "McGrath"),
    ("MACGREGOR", LAST, "en", "MacGregor"),
    ("MACGREGOR", FIRST, "en", "Macgregor"),
    ("MACIAS", LAST, "es", "Macias"),
    ("MACGREGOR-MACRON", LAST, "en", "MacGregor-Macron"),
    ("MCLEOD MACLEOD", LAST, "en", "McLeod MacLeod"),
    ("FITZPATRICK", LAST, "en", "Fitzpatrick"),
    ("MC", LAST, "en", "Mc"),
]


@pytest.mark.parametrize(("value", "field", "lang", "expected"), MC_AND_MAC)
def test_mc_takes_a_capital_everywhere_and_mac_only_before_known_stems(
    value: str, field: NameField, lang: str | None, expected: str
) -> None:
    _check(value, field, lang, expected)


PARTICLES: list[Case] = [
    ("VAN DER MEER", LAST, "nl", "van der Meer"),
    ("VAN DER MEER", LAST, "nl-BE", "Van Der Meer"),
    ("VAN DER MEER", LAST, None, "van der Meer"),
    ("VAN DER MEER", LAST, "en", "Van Der Meer"),
    ("VAN DER MEER", LAST, "ru", "van der Meer"),
    ("VAN DER MEER", LAST, "vi", "Van Der Meer"),
    ("VAN DER MEER", FIRST, "nl", "Van der Meer"),
    ("VAN", LAST, "nl", "Van"),
    ("VAN DER", MIDDLE, "nl", "van der"),
    ("VON UND ZU LÖWENSTEIN", LAST, "de", "von und zu Löwenstein"),
    ("DE LA FONTAINE", LAST, "fr", "de La Fontaine"),
    ("LE PEN", LAST, "fr", "Le Pen"),
    ("DES ESSARTS", LAST, "fr", "des Essarts"),
    ("JUAN DE DIOS", FIRST, "es", "Juan de Dios"),
    ("DE JESUS", FIRST, "pt", "De Jesus"),
    ("SILVA E COSTA", LAST, "pt", "Silva e Costa"),
    ("MHAC AN TSAOI", LAST, "ga", "Mhac an tSaoi"),
    ("Ó HAODHA", LAST, "en", "Ó hAodha"),
    ("ФОН БОК", LAST, "ru", "фон Бок"),
    ("ФОН БОК", LAST, "en", "фон Бок"),
    ("ГЕЙДАР ОГЛЫ", MIDDLE, "ru", "Гейдар оглы"),
    ("van Beethoven", LAST, "de", "van Beethoven"),
    ("du Pont", LAST, "en", "du Pont"),
    ("DI STEFANO", LAST, "it", "Di Stefano"),
    ("BIN RASHID", LAST, "ar", "bin Rashid"),
]


@pytest.mark.parametrize(("value", "field", "lang", "expected"), PARTICLES)
def test_particles_follow_the_language_and_their_position(
    value: str, field: NameField, lang: str | None, expected: str
) -> None:
    _check(value, field, lang, expected)


NUMERALS_AND_INITIALS: list[Case] = [
    ("HENRY FORD II", LAST, "en", "Henry Ford II"),
    ("FORD IV", LAST, "en", "Ford IV"),
    ("IV", LAST, "en", "Iv"),
    ("VIII", FIRST, "en", "Viii"),
    ("ford iii", LAST, "tr", "Ford III"),
    ("tj", FIRST, "en", "TJ"),
    ("tj", FIRST, None, "TJ"),
    ("tj", FIRST, "ru", "Tj"),
    ("tj", LAST, "en", "Tj"),
    ("ty", FIRST, "en", "Ty"),
    ("b", MIDDLE, "en", "B"),
    ("e.e.", FIRST, "en", "E.E."),
    ("IJSSEL", LAST, "nl", "IJssel"),
    ("IJSSEL", LAST, "de", "Ijssel"),
]


@pytest.mark.parametrize(("value", "field", "lang", "expected"), NUMERALS_AND_INITIALS)
def test_numerals_initials_and_digraphs_take_capitals_only_where_they_belong(
    value: str, field: NameField, lang: str | None, expected: str
) -> None:
    _check(value, field, lang, expected)


def test_a_one_letter_word_beside_shouted_words_is_judged_with_them() -> None:
    assert format_name("ORTEGA Y GASSET", LAST, "es") == "Ortega y Gasset"
    assert format_name("Ortega Y Gasset", LAST, "es") == "Ortega Y Gasset"


def test_tidy_values_come_back_as_the_same_object() -> None:
    value = "Anna-Lena Schmidt"

    assert format_name(value, FIRST, "de") is value
