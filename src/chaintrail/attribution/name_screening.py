"""Screening customer names against the SDN names and aliases.

Every SDN name and alias is normalised to folded Latin tokens
(``names.name_tokens``). A query's tokens are matched against the
vocabulary of index tokens with Jaro-Winkler (rapidfuzz), which blocks the
candidates cheaply: only names holding a token similar to a query token
are scored. A name's score is the length-weighted mean, over the query's
tokens, of each token's best Jaro-Winkler similarity in the name
(so token order does not matter), blended with the same measure taken
from the name's side (so extra or missing name parts cost a little).
An entry whose nationality, citizenship, birthplace or programme names
the customer's country gets a small boost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from chaintrail.attribution.countries import country_names, mentions_country
from chaintrail.attribution.names import name_tokens, sdn_display_order
from chaintrail.attribution.sdn_csv import SdnEntry

DEFAULT_THRESHOLD = 0.90
TOKEN_CUTOFF = 0.80  # a query token's similar index tokens (the blocking step)
QUERY_WEIGHT = 0.6  # weight of the query-side measure against the name-side one
COUNTRY_BOOST = 0.03


@dataclass
class NameMatch:
    """One SDN entry matching a query name."""

    score: float
    ent_num: str
    name: str
    matched_name: str  # the SDN name or alias that matched
    is_alias: bool
    sdn_type: str
    programs: list[str]
    countries: list[str]
    country_match: bool | None = None

    def to_dict(self) -> dict:
        return {"score": round(self.score, 4), "ent_num": self.ent_num, "name": self.name,
                "matched_name": self.matched_name, "is_alias": self.is_alias,
                "sdn_type": self.sdn_type, "programs": self.programs, "countries": self.countries,
                "country_match": self.country_match}


def _weighted_best(a: list[str], b: list[str], sims: dict[tuple[str, str], float]) -> float:
    """Length-weighted mean over a's tokens of their best similarity among b's."""
    total = 0.0
    weight = 0
    for x in a:
        best = 0.0
        for y in b:
            s = sims.get((x, y))
            if s is None:
                s = JaroWinkler.normalized_similarity(x, y)
                sims[(x, y)] = s
            if s > best:
                best = s
        total += best * len(x)
        weight += len(x)
    return total / weight if weight else 0.0


class NameIndex:
    """The SDN names and aliases, tokenised, with an inverted index over tokens."""

    def __init__(self, entries: list[SdnEntry]):
        self.entries = entries
        self.rows: list[tuple[int, str, bool, list[str]]] = []  # entry, name, is_alias, tokens
        for k, e in enumerate(entries):
            for name, alias in [(e.name, False)] + [(n, True) for _, n in e.aliases]:
                toks = name_tokens(name)
                if toks:
                    self.rows.append((k, name, alias, toks))
        vocab: dict[str, int] = {}
        postings: list[list[int]] = []
        for r, (_, _, _, toks) in enumerate(self.rows):
            for t in set(toks):
                v = vocab.setdefault(t, len(vocab))
                if v == len(postings):
                    postings.append([])
                postings[v].append(r)
        self.vocab = list(vocab)
        self.postings = [np.array(p, np.int64) for p in postings]
        self._places = [e.countries + [re.sub(r"\d+", "", p) for p in e.programs] for e in entries]
        self._similar: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def _similar_tokens(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """(vocabulary ids, similarities) of the index tokens similar to token."""
        hit = self._similar.get(token)
        if hit is None:
            self.prepare([token])
            hit = self._similar[token]
        return hit

    def prepare(self, tokens) -> None:
        """Find the similar index tokens of many query tokens at once (cached)."""
        todo = sorted({t for t in tokens if t not in self._similar})
        if not todo:
            return
        if len(self._similar) > 200_000:
            self._similar.clear()
        sims = process.cdist(todo, self.vocab, scorer=JaroWinkler.normalized_similarity,
                             score_cutoff=TOKEN_CUTOFF, dtype=np.float32, workers=-1)
        for t, row in zip(todo, sims):
            ids = np.nonzero(row)[0]
            self._similar[t] = (ids, row[ids].astype(np.float64))

    def _best(self, token: str, n: int) -> np.ndarray:
        """Per index row, the best similarity of any of its tokens to token."""
        ids, scores = self._similar_tokens(token)
        best = np.zeros(n, np.float64)
        if ids.size == 0:
            return best
        order = np.argsort(scores, kind="stable")
        rows = np.concatenate([self.postings[i] for i in ids[order]])
        vals = np.repeat(scores[order], [self.postings[i].size for i in ids[order]])
        best[rows] = vals  # the last write wins, and scores ascend
        return best

    def search_many(self, names: list[str], threshold: float = DEFAULT_THRESHOLD,
                    country: str | None = None, limit: int = 10) -> list[list[NameMatch]]:
        """search() for many names, their token lookups batched."""
        self.prepare(t for n in names for t in name_tokens(n))
        return [self.search(n, threshold, country, limit) for n in names]

    def search(self, name: str, threshold: float = DEFAULT_THRESHOLD, country: str | None = None,
               limit: int = 10) -> list[NameMatch]:
        """SDN entries whose name or an alias scores at least threshold against name, best first."""
        q = name_tokens(name)
        if not q:
            return []
        n = len(self.rows)
        weights = np.array([len(t) for t in q], np.float64)
        acc = np.zeros(n, np.float64)
        for t, w in zip(q, weights):
            acc += self._best(t, n) * w
        acc /= weights.sum()
        floor = (threshold - COUNTRY_BOOST - (1 - QUERY_WEIGHT)) / QUERY_WEIGHT
        cand = np.nonzero(acc >= floor)[0]
        names = country_names(country) if country else None
        sims: dict[tuple[str, str], float] = {}
        best_by_entry: dict[int, NameMatch] = {}
        for r in cand:
            k, matched, alias, toks = self.rows[r]
            back = _weighted_best(toks, q, sims)
            score = QUERY_WEIGHT * float(acc[r]) + (1 - QUERY_WEIGHT) * back
            cmatch = None
            if names:
                cmatch = mentions_country(self._places[k], names) if self._places[k] else None
                if cmatch:
                    score = min(1.0, score + COUNTRY_BOOST)
            if score < threshold:
                continue
            prev = best_by_entry.get(k)
            if prev is None or score > prev.score:
                e = self.entries[k]
                best_by_entry[k] = NameMatch(score, e.ent_num, e.name, matched, alias, e.sdn_type,
                                             e.programs, e.countries, cmatch)
        out = sorted(best_by_entry.values(), key=lambda m: (-m.score, m.name))
        return out[:limit]


def display_name(entry: SdnEntry) -> str:
    """An SDN name in given-names-first order."""
    return sdn_display_order(entry.name)
