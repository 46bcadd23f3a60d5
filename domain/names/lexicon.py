"""Word lists that are facts of languages and naming customs, each in one place.

Particle lists live with the language profiles in `languages.py`.
"""

# Common Scottish and Irish Mac surnames whose stem is a given name or a clan
# founder's name, written Mac + capital (MacDonald, "son of Donald"). A stem not
# listed keeps its lower case (Macron, Machado, Mackintosh, Macías).
MAC_STEMS = frozenset(
    {
        "alister", "allister", "arthur", "bain", "bean", "beth", "bride",
        "callum", "cormack", "crae", "culloch", "dermott", "donald", "dougall",
        "dowell", "duff", "ewan", "ewen", "farlane", "gillivray", "gregor",
        "innes", "intyre", "iver", "kay", "kenna", "kenzie", "kinnon",
        "lachlan", "laren", "lean", "leod", "lennan", "millan", "murray",
        "nab", "nair", "naughton", "neil", "neill", "nicol", "pherson",
        "quarrie", "queen", "rae", "sween", "tavish", "william",
    }
)  # fmt: skip

# Of those, the stems whose surname is common in both spellings (MacKenzie and
# Mackenzie, MacMillan and Macmillan): the split is a guess.
MAC_STEMS_BOTH_WAYS = frozenset(
    {"beth", "donald", "intyre", "kay", "kenzie", "lean", "millan"}
)

# Latin prefixes after which an apostrophe is followed by a capital:
# Irish O', French and Italian D' and L', West African N', Italian Dell', Dall'.
APOSTROPHE_PREFIXES = frozenset({"o", "d", "l", "n", "dell", "dall"})

# Generational numerals typed after a surname (Gates III). One-letter numerals
# are already capitals as initials.
ROMAN_NUMERALS = frozenset({"ii", "iii", "iv", "vi", "vii", "viii", "ix"})

# Irish surname prefixes spelled with a fada: unmistakably Irish even when the
# portal's language says otherwise.
IRISH_FADA_PREFIXES = frozenset({"ó", "ní", "uí"})

# Irish initial mutations: h before a vowel after Ó, Ua, Ní, Uí and na; t before
# s or a vowel after the article an; eclipsis letters before the radical.
IRISH_H_TRIGGERS = frozenset({"ó", "ua", "ní", "uí", "na"})
IRISH_T_TRIGGERS = frozenset({"an"})
IRISH_ECLIPSIS = ("bhf", "mb", "gc", "nd", "ng", "bp", "dt")
IRISH_VOWELS = frozenset("aeiouáéíóú")

# Values people type when a name is missing. They are still formatted as names;
# the result is only marked uncertain.
PLACEHOLDERS = frozenset({"null", "none", "n/a", "nil", "undefined", "unknown"})

# Starts of names often written with an inner capital (DeShawn, LaToya, LeBron,
# DiCaprio); all-caps or all-lower input hides which spelling the person uses.
INNER_CAPITAL_PREFIXES = ("de", "da", "di", "la", "le")

# Arabic article and nasab particles whose case varies by style guide
# (al-Hassan or Al-Hassan, bin Salman or Bin Salman).
ARABIC_ARTICLES = frozenset({"al", "el"})
ARABIC_NASAB = frozenset({"bin", "bint", "ibn"})

# Italian toponymic particles ("from"): capital in modern surnames (Da Ros),
# lower in historic names (Leonardo da Vinci).
ITALIAN_TOPONYMIC = frozenset({"da", "dal", "dalla", "dalle", "dai", "dagli"})

# Latin consonants, for the two-consonant given names that are initials (JJ).
LATIN_CONSONANTS = frozenset("bcdfghjklmnpqrstvwxz")
