"""A labelled set for name screening, built from the SDN names themselves,
and its precision and recall.

Positives (each should find its own SDN entry): the name written in
Cyrillic the way a Russian-language document would (then matched from
Cyrillic), the name with one typing error, and the name with its parts
in another order. Negatives (should find nothing): common first-name and
surname pairs from many languages that are not on the list (no SDN name
or alias holds both parts).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from chaintrail.attribution.name_screening import DEFAULT_THRESHOLD, NameIndex
from chaintrail.attribution.names import name_tokens, sdn_display_order, to_latin
from chaintrail.attribution.sdn_csv import SdnEntry

# Latin to Russian Cyrillic, longest spellings first (the reverse of the usual romanisations)
_TO_CYRILLIC = (
    ("shch", "щ"), ("sch", "щ"), ("kh", "х"), ("zh", "ж"), ("ts", "ц"), ("ch", "ч"),
    ("sh", "ш"), ("ya", "я"), ("yu", "ю"), ("yo", "ё"), ("ye", "е"), ("iy", "ий"), ("yy", "ый"),
    ("ph", "ф"), ("th", "т"), ("ck", "к"), ("ee", "и"), ("oo", "у"), ("ou", "у"),
    ("a", "а"), ("b", "б"), ("c", "к"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"),
    ("h", "х"), ("i", "и"), ("j", "дж"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"),
    ("o", "о"), ("p", "п"), ("q", "к"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"),
    ("v", "в"), ("w", "в"), ("x", "кс"), ("y", "й"), ("z", "з"),
)

FIRST_NAMES = (
    "james", "john", "robert", "michael", "william", "david", "richard", "joseph", "thomas",
    "charles", "mary", "patricia", "jennifer", "linda", "elizabeth", "barbara", "susan",
    "jessica", "sarah", "karen", "emma", "olivia", "sophie", "lukas", "leon", "finn", "hannah",
    "lea", "pierre", "jean", "camille", "chloe", "giulia", "francesca", "marco", "luca",
    "carmen", "lucia", "pablo", "javier", "sofia", "mateo", "olga", "tatiana", "natalia",
    "irina", "svetlana", "dmitry", "sergey", "andrey", "pavel", "nikolai", "wei", "fang",
    "jing", "lei", "yan", "hiroshi", "yuki", "haruto", "sakura", "priya", "rahul", "anjali",
    "arjun", "aisha", "fatima", "omar", "yusuf", "leila", "kwame", "amara", "chidi", "zanele",
    "lars", "ingrid", "sven", "astrid", "piotr", "katarzyna", "jan", "eva", "tomas", "petra",
)
SURNAMES = (
    "smith", "johnson", "williams", "brown", "jones", "miller", "davis", "wilson", "anderson",
    "taylor", "moore", "jackson", "martin", "thompson", "white", "harris", "clark", "lewis",
    "walker", "hall", "young", "king", "wright", "scott", "green", "baker", "adams", "nelson",
    "mueller", "schmidt", "schneider", "fischer", "weber", "meyer", "wagner", "becker",
    "dubois", "durand", "lefebvre", "moreau", "laurent", "rossi", "russo", "ferrari", "esposito",
    "bianchi", "romano", "martinez", "lopez", "gonzalez", "perez", "sanchez", "ramirez",
    "ivanova", "smirnova", "kuznetsova", "popova", "sokolova", "lebedeva", "novikova",
    "morozova", "wang", "li", "zhang", "liu", "chen", "yang", "huang", "sato", "suzuki",
    "takahashi", "tanaka", "watanabe", "sharma", "verma", "gupta", "patel", "singh", "nguyen",
    "tran", "le", "pham", "kowalski", "nowak", "wisniewski", "novak", "svoboda", "dvorak",
    "hansen", "johansen", "larsen", "nielsen", "okafor", "mensah", "dlamini", "mwangi",
)


@dataclass
class Case:
    query: str
    kind: str  # cyrillic, typo, reordered, negative
    ent_num: str | None  # the entry a positive must find


@dataclass
class Scores:
    threshold: float
    precision: float
    recall: float
    true_positives: int
    false_positives: int
    false_negatives: int
    positives: int
    negatives: int
    recall_by_kind: dict[str, float]

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def to_cyrillic(text: str) -> str:
    """Latin letters written in Russian Cyrillic (for building test names)."""
    out = []
    for word in text.split():
        w = word.lower()
        res = ""
        i = 0
        while i < len(w):
            for a, b in _TO_CYRILLIC:
                if w.startswith(a, i):
                    res += b
                    i += len(a)
                    break
            else:
                res += w[i]
                i += 1
        out.append(res.capitalize())
    return " ".join(out)


def _typo(word: str, rnd: random.Random) -> str:
    i = rnd.randrange(len(word))
    op = rnd.choice(("sub", "del", "swap", "ins"))
    letters = "abcdefghijklmnopqrstuvwxyz"
    if op == "sub":
        return word[:i] + rnd.choice(letters) + word[i + 1:]
    if op == "del":
        return word[:i] + word[i + 1:]
    if op == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + rnd.choice(letters) + word[i:]


def labelled_set(entries: list[SdnEntry], n_per_kind: int = 500, seed: int = 5) -> list[Case]:
    """Positives of three kinds from person names of the list, and as many negatives."""
    rnd = random.Random(seed)
    people = [e for e in entries if e.sdn_type == "individual" and len(to_latin(e.name).split()) >= 2
              and all(len(t) >= 2 for t in to_latin(e.name).split())]
    cases: list[Case] = []
    for kind in ("cyrillic", "typo", "reordered"):
        for e in rnd.sample(people, min(n_per_kind, len(people))):
            words = to_latin(sdn_display_order(e.name)).split()
            if kind == "cyrillic":
                q = to_cyrillic(" ".join(words))
            elif kind == "typo":
                long_ = [k for k, w in enumerate(words) if len(w) >= 4] or [0]
                k = rnd.choice(long_)
                words[k] = _typo(words[k], rnd)
                q = " ".join(words)
            else:
                while True:
                    perm = words[:]
                    rnd.shuffle(perm)
                    if perm != words or len(set(words)) == 1:
                        break
                q = " ".join(perm)
            cases.append(Case(q, kind, e.ent_num))
    listed = [set(name_tokens(n)) for e in entries for n in [e.name] + [a for _, a in e.aliases]]
    negatives: list[Case] = []
    pairs = [(f, s) for f in FIRST_NAMES for s in SURNAMES]
    rnd.shuffle(pairs)
    for f, s in pairs:
        toks = set(name_tokens(f"{f} {s}"))
        if any(toks <= n for n in listed):
            continue
        negatives.append(Case(f"{f.capitalize()} {s.capitalize()}", "negative", None))
        if len(negatives) >= 3 * n_per_kind:
            break
    return cases + negatives


def evaluate(index: NameIndex, cases: list[Case], threshold: float = DEFAULT_THRESHOLD) -> Scores:
    """Precision and recall of screening the cases: a positive is found when its entry is returned."""
    results = index.search_many([c.query for c in cases], threshold=threshold, limit=50)
    tp = fp = fn = 0
    found_by_kind: dict[str, list[int]] = {}
    for c, matches in zip(cases, results):
        if c.ent_num is None:
            fp += bool(matches)
            continue
        ok = any(m.ent_num == c.ent_num for m in matches)
        found_by_kind.setdefault(c.kind, [0, 0])
        found_by_kind[c.kind][0] += ok
        found_by_kind[c.kind][1] += 1
        tp += ok
        fn += not ok
        fp += bool(matches) and not ok
    positives = sum(1 for c in cases if c.ent_num is not None)
    return Scores(threshold, tp / max(tp + fp, 1), tp / max(positives, 1), tp, fp, fn, positives,
                  len(cases) - positives,
                  {k: v[0] / v[1] for k, v in found_by_kind.items()})
