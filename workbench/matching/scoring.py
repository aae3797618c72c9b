"""Pair scores: a readable scalar version and a vectorised ``Pool`` that agree exactly.

The hard rules live in :mod:`workbench.matching.rules`; ``Pool`` applies them to many pairs at once and
is tested to agree exactly with :func:`workbench.matching.rules.hard_rule_broken`.

Scores are integers in hundredths of a point ("centipoints") internally, so the solver, the bound, the
candidates CSV and every comparison see the same numbers; floats are only for display.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from workbench.matching.model import Applicant, PairExplanation, Weights, WishCheck
from workbench.matching.rules import CROSS_BORDER, CrossBorder, check_cross_border, side, side_name

#: Working day, local time, in minutes after midnight.
DAY_START, DAY_END = 9 * 60, 17 * 60
_MAX_DIFF = 2 * 1440  # offsets are within [-12h, +14h]; table covers any difference up to two days
_INFEASIBLE = -(2**30)

COMPONENTS: tuple[str, ...] = (
    "shared_interests", "partner_sector", "partner_stage", "partner_interests", "hours_overlap",
    "new_country",
)


def overlap_minutes(offset_a: int, offset_b: int) -> int:
    """Minutes the two 09:00–17:00 local working days overlap (any day), from the UTC offsets."""
    length = DAY_END - DAY_START
    return sum(max(0, length - abs(offset_a - offset_b + 1440 * k)) for k in (-2, -1, 0, 1, 2))


def centipoints(weights: Weights) -> dict[str, int]:
    """The weights in hundredths of a point."""
    return {name: round(value * 100) for name, value in weights.as_dict().items()}


def _hours_points(wq: int, minutes: int) -> int:
    return (wq * minutes + 30) // 60


def pair_components(a: Applicant, b: Applicant, weights: Weights) -> dict[str, int]:
    """Score components in centipoints (the rules are not checked here)."""
    wq = centipoints(weights)
    sec = (a.partner_sector == b.sector) + (b.partner_sector == a.sector)
    stg = (a.partner_stage == b.career_stage) + (b.partner_stage == a.career_stage)
    pin = bool(a.partner_interests & b.interests) + bool(b.partner_interests & a.interests)
    new = (bool(a.past_partner_countries) and b.country not in a.past_partner_countries) + (
        bool(b.past_partner_countries) and a.country not in b.past_partner_countries
    )
    return {
        "shared_interests": wq["shared_interest"] * len(a.interests & b.interests),
        "partner_sector": wq["partner_sector"] * sec,
        "partner_stage": wq["partner_stage"] * stg,
        "partner_interests": wq["partner_interests"] * pin,
        "hours_overlap": _hours_points(wq["hours_overlap"], overlap_minutes(a.utc_offset_minutes,
                                                                            b.utc_offset_minutes)),
        "new_country": wq["new_country"] * new,
    }


def pair_score_cp(a: Applicant, b: Applicant, weights: Weights) -> int:
    """The pair score in centipoints."""
    return sum(pair_components(a, b, weights).values())


def pair_score(a: Applicant, b: Applicant, weights: Weights) -> float:
    """The pair score in points (as the objective uses it, to the hundredth)."""
    return pair_score_cp(a, b, weights) / 100


def border_words(a: Applicant, b: Applicant, rule: CrossBorder = "country") -> str:
    """How ``a`` and ``b`` meet the cross-border rule, for an explanation: "different countries (AUS, KEN)",
    "different sub-regions (…)", "different organisations (…)"; "" under ``none``."""
    if rule == "none":
        return ""
    unit = CROSS_BORDER[rule].unit
    plural = "countries" if unit == "country" else f"{unit}s"
    if rule == "organisation" and (side(a, rule) is None or side(b, rule) is None):
        return "organisation not given by " + " and ".join(x.name for x in (a, b) if side(x, rule) is None)
    return f"different {plural} ({side_name(a, rule)}, {side_name(b, rule)})"


def explain_pair(a: Applicant, b: Applicant, weights: Weights, *, cross_border: CrossBorder = "country"
                 ) -> PairExplanation:
    """Everything a coordinator needs to see why ``a`` and ``b`` make a good (or poor) pair (and how they meet
    the program's cross-border rule)."""
    comps = pair_components(a, b, weights)
    wishes: list[WishCheck] = []
    for holder, other in ((a, b), (b, a)):
        if holder.partner_sector:
            wishes.append(WishCheck(holder.application_id, "sector", holder.partner_sector,
                                    other.sector == holder.partner_sector))
        if holder.partner_stage:
            wishes.append(WishCheck(holder.application_id, "stage", holder.partner_stage,
                                    other.career_stage == holder.partner_stage))
        if holder.partner_interests:
            wishes.append(WishCheck(holder.application_id, "interests",
                                    ", ".join(sorted(holder.partner_interests)),
                                    bool(holder.partner_interests & other.interests)))
    new_for = tuple(
        h.application_id for h, o in ((a, b), (b, a))
        if h.past_partner_countries and o.country not in h.past_partner_countries
    )
    return PairExplanation(
        a=a.application_id,
        b=b.application_id,
        score=sum(comps.values()) / 100,
        components={k: v / 100 for k, v in comps.items()},
        shared_interests=tuple(sorted(a.interests & b.interests)),
        shared_languages=tuple(sorted(a.languages & b.languages)),
        hours_overlap=overlap_minutes(a.utc_offset_minutes, b.utc_offset_minutes) / 60,
        wishes=tuple(wishes),
        new_country_for=new_for,
        cross_border=border_words(a, b, cross_border),
    )


def _bits(sets: Sequence[frozenset[str]], vocab: dict[str, int]) -> np.ndarray:
    """Sets of strings as rows of bit words (uint32 when the vocabulary fits, else uint64)."""
    size = 32 if len(vocab) <= 32 else 64
    dtype = np.uint32 if size == 32 else np.uint64
    words = max(1, (len(vocab) + size - 1) // size)
    out = np.zeros((len(sets), words), dtype=dtype)
    for i, items in enumerate(sets):
        for item in items:
            j = vocab[item]
            out[i, j // size] |= dtype(1) << dtype(j % size)
    return out


def _vocab(*groups: Iterable[Iterable[str]]) -> dict[str, int]:
    names = sorted({x for group in groups for items in group for x in items})
    return {name: i for i, name in enumerate(names)}


class Pool:
    """A round's applicants as arrays, for scoring many pairs at once.

    ``scores(rows, cols)`` returns the centipoint score of every (row, col) pair, or -1 where a hard
    rule (the cross-border rule ``cross_border``, no shared language, an earlier partnership, a forbidden
    pair, the same person) keeps them apart. It agrees exactly with ``pair_score_cp`` and
    ``rules.hard_rule_broken``.
    """

    def __init__(self, applicants: Sequence[Applicant], weights: Weights,
                 forbidden: Iterable[frozenset[int]] = (), *, cross_border: CrossBorder = "country") -> None:
        self.applicants = list(applicants)
        self.weights = weights
        self.cross_border: CrossBorder = check_cross_border(cross_border)
        self.n = n = len(self.applicants)
        self.ids = np.array([a.application_id for a in self.applicants], dtype=np.int64)
        self.index = {a.application_id: i for i, a in enumerate(self.applicants)}
        apps = self.applicants
        countries = _vocab([[a.country] for a in apps], [a.past_partner_countries for a in apps])
        self.country_names = sorted(countries, key=countries.__getitem__)
        self.country = np.array([countries[a.country] for a in apps], dtype=np.int32)
        # the cross-border rule's side of each person (-1: nothing to compare, so no one is on their side)
        sides: dict[str, int] = {}
        self.side = np.array([-1 if (x := side(a, self.cross_border)) is None else sides.setdefault(x, len(sides))
                              for a in apps], dtype=np.int64)
        self.side_names = {i: name for name, i in sides.items()}
        freq: dict[str, int] = {}
        for a in apps:
            for lang in a.languages:
                freq[lang] = freq.get(lang, 0) + 1
        self.languages = {x: i for i, x in enumerate(sorted(freq, key=lambda x: (-freq[x], x)))}
        self.lang_bits = _bits([a.languages for a in apps], self.languages)
        interests = _vocab([a.interests for a in apps], [a.partner_interests for a in apps])
        self.int_bits = _bits([a.interests for a in apps], interests)
        self.wish_int_bits = _bits([a.partner_interests for a in apps], interests)
        self.has_wish_int = np.array([bool(a.partner_interests) for a in apps])
        cats = _vocab([[a.sector, a.career_stage] for a in apps],
                      [[x] for a in apps for x in (a.partner_sector, a.partner_stage) if x])
        self.sector = np.array([cats[a.sector] for a in apps], dtype=np.int32)
        self.stage = np.array([cats[a.career_stage] for a in apps], dtype=np.int32)
        self.wish_sector = np.array([cats[a.partner_sector] if a.partner_sector else -1 for a in apps],
                                    dtype=np.int32)
        self.wish_stage = np.array([cats[a.partner_stage] if a.partner_stage else -1 for a in apps],
                                   dtype=np.int32)
        self.offset = np.array([a.utc_offset_minutes for a in apps], dtype=np.int32)
        self.returner = np.array([bool(a.past_partner_countries) for a in apps])
        # "knows[c, i]": returner i already had a partner from country c (column-friendly layout)
        self.knows = np.zeros((len(countries), n), dtype=bool)
        for i, a in enumerate(apps):
            for c in a.past_partner_countries:
                self.knows[countries[c], i] = True
        wq = centipoints(weights)
        self.wq = wq
        diffs = np.arange(-_MAX_DIFF, _MAX_DIFF + 1)
        hours_table = np.array(
            [_hours_points(wq["hours_overlap"], overlap_minutes(int(d), 0)) for d in diffs], dtype=np.int32)
        # people with the same (side, languages, offset) behave alike for the cross-border and language
        # rules and the hours overlap: one small group x group table holds the hours points, or a large
        # negative number where the rules keep the groups apart
        keys = [(int(self.side[i]), self.lang_bits[i].tobytes(), int(self.offset[i])) for i in range(n)]
        group_of: dict[tuple[int, bytes, int], int] = {}
        self.group = np.array([group_of.setdefault(k, len(group_of)) for k in keys], dtype=np.int32)
        first = np.zeros(len(group_of), dtype=np.int64)
        first[self.group[::-1]] = np.arange(n)[::-1]
        g_side, g_lang, g_off = self.side[first], self.lang_bits[first], self.offset[first]
        share = np.zeros((len(first), len(first)), dtype=bool)
        for w in range(g_lang.shape[1]):
            share |= (g_lang[:, w][:, None] & g_lang[:, w][None, :]) != 0
        base = hours_table[g_off[:, None] - g_off[None, :] + _MAX_DIFF]
        base[((g_side[:, None] == g_side[None, :]) & (g_side[:, None] >= 0)) | ~share] = _INFEASIBLE
        self.base = base
        # sparse exclusions: earlier partnerships and forbidden pairs, as index -> indices
        by_person: dict[int, list[int]] = {}
        for i, a in enumerate(apps):
            by_person.setdefault(a.person_id, []).append(i)
        blocked: dict[int, set[int]] = {}
        for i, a in enumerate(apps):
            for pid in a.past_partners:
                for j in by_person.get(pid, ()):
                    blocked.setdefault(i, set()).add(j)
                    blocked.setdefault(j, set()).add(i)
        for pair in forbidden:
            ids = [self.index[x] for x in pair if x in self.index]
            if len(ids) == 2:
                blocked.setdefault(ids[0], set()).add(ids[1])
                blocked.setdefault(ids[1], set()).add(ids[0])
        self.blocked = {i: np.fromiter(js, dtype=np.int64) for i, js in blocked.items()}

    def scores(self, rows: np.ndarray, cols: np.ndarray | None = None) -> np.ndarray:
        """Centipoint scores, shape (len(rows), len(cols)), -1 where the pair is infeasible."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.arange(self.n, dtype=np.int64) if cols is None else np.asarray(cols, dtype=np.int64)
        wq = self.wq
        # np.take keeps the block C-ordered, which the additions below rely on for speed
        q = np.take(self.base[self.group[rows]], self.group[cols], axis=1)
        for w in range(self.int_bits.shape[1]):
            shared = np.bitwise_count(self.int_bits[rows, w][:, None] & self.int_bits[cols, w][None, :])
            q += shared * np.int32(wq["shared_interest"])
        for weight, wish, attr in ((wq["partner_sector"], self.wish_sector, self.sector),
                                   (wq["partner_stage"], self.wish_stage, self.stage)):
            if weight:  # no wish is -1 and never equals an attribute
                met = (wish[rows][:, None] == attr[cols][None, :]).view(np.uint8)
                met += (attr[rows][:, None] == wish[cols][None, :]).view(np.uint8)
                q += met * np.int32(weight)
        if wq["partner_interests"]:
            met = np.zeros(q.shape, dtype=np.uint8)
            for k in range(self.int_bits.shape[1]):
                met += ((self.wish_int_bits[rows, k][:, None] & self.int_bits[cols, k]) != 0).view(np.uint8)
                met += ((self.int_bits[rows, k][:, None] & self.wish_int_bits[cols, k]) != 0).view(np.uint8)
            q += met * np.int32(wq["partner_interests"])
        if wq["new_country"] and (self.returner[rows].any() or self.returner[cols].any()):
            new = np.zeros(q.shape, dtype=np.uint8)
            if self.returner[rows].any():  # returner rows: is the column's country new to them?
                fresh = ~self.knows[:, rows].T & self.returner[rows][:, None]  # (rows, countries)
                new += np.take(fresh, self.country[cols], axis=1).view(np.uint8)
            if self.returner[cols].any():  # returner columns: is the row's country new to them?
                seen = np.take(self.knows, self.country[rows], axis=0)  # (rows, everyone)
                new += (self.returner[cols][None, :] > np.take(seen, cols, axis=1)).view(np.uint8)
            q += new * np.int32(wq["new_country"])
        np.maximum(q, -1, out=q)
        col_pos = np.full(self.n, -1, dtype=np.int64)
        col_pos[cols] = np.arange(len(cols))
        pos = col_pos[rows]
        q[np.flatnonzero(pos >= 0), pos[pos >= 0]] = -1  # never one's own partner
        for r, i in enumerate(rows.tolist()):  # earlier partnerships and forbidden pairs
            js = self.blocked.get(i)
            if js is not None:
                pos = col_pos[js]
                q[r, pos[pos >= 0]] = -1
        return q

    def feasible(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Whether each pair may be partners, shape (len(rows), len(cols)): ``scores(rows, cols) >= 0`` without
        the soft criteria (weights are never negative, so a pair the rules allow scores at least 0)."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        ok = np.take(self.base[self.group[rows]], self.group[cols], axis=1) >= 0
        col_pos = np.full(self.n, -1, dtype=np.int64)
        col_pos[cols] = np.arange(len(cols))
        pos = col_pos[rows]
        ok[np.flatnonzero(pos >= 0), pos[pos >= 0]] = False
        for r, i in enumerate(rows.tolist()):
            js = self.blocked.get(i)
            if js is not None:
                pos = col_pos[js]
                ok[r, pos[pos >= 0]] = False
        return ok

    def block_rows(self, n_cols: int | None = None, cells: int = 1_000_000) -> int:
        """A row-block size that keeps a scores() block near ``cells`` cells (cache-friendly)."""
        return max(1, cells // max(1, n_cols if n_cols is not None else self.n))

    def iter_blocks(self, rows: np.ndarray, cols: np.ndarray, *, workers: int | None = None
                    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """``(start, rows[start:start+step], scores(those rows, cols))`` for consecutive row blocks, in
        order, computed ahead by ``workers`` threads (NumPy releases the GIL in the heavy parts)."""
        step = self.block_rows(len(cols))
        starts = list(range(0, len(rows), step))
        workers = workers or min(4, os.cpu_count() or 1)
        if workers <= 1 or len(starts) <= 1:
            for start in starts:
                yield start, rows[start:start + step], self.scores(rows[start:start + step], cols)
            return
        with ThreadPoolExecutor(max_workers=workers) as executor:
            ahead: deque[tuple[int, Future[np.ndarray]]] = deque()
            todo = iter(starts)
            for start in todo:
                ahead.append((start, executor.submit(self.scores, rows[start:start + step], cols)))
                if len(ahead) > workers:
                    break
            while ahead:
                start, future = ahead.popleft()
                nxt = next(todo, None)
                if nxt is not None:
                    ahead.append((nxt, executor.submit(self.scores, rows[nxt:nxt + step], cols)))
                yield start, rows[start:start + step], future.result()

    def iter_upper(self, people: np.ndarray, *, workers: int | None = None
                   ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Every pair of ``people`` once: ``(start, people[start:stop], block)`` for consecutive row blocks, where
        ``block[r, c]`` scores ``people[start + r]`` against ``people[start + c]`` and holds -1 on and below the
        diagonal (each pair is in the row of whichever of the two comes first). Half the cells of a full sweep;
        blocks are computed ahead by ``workers`` threads."""
        people = np.asarray(people, dtype=np.int64)
        m = len(people)
        spans: list[tuple[int, int]] = []
        start = 0
        while start < m - 1:
            stop = min(m, start + self.block_rows(m - start))
            spans.append((start, stop))
            start = stop

        def block(start: int, stop: int) -> np.ndarray:
            s = self.scores(people[start:stop], people[start:])
            s[np.tri(stop - start, m - start, dtype=bool)] = -1
            return s

        workers = workers or min(4, os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as executor:
            ahead: deque[tuple[int, int, Future[np.ndarray]]] = deque()
            todo = iter(spans)
            for start, stop in todo:
                ahead.append((start, stop, executor.submit(block, start, stop)))
                if len(ahead) > workers:
                    break
            while ahead:
                start, stop, future = ahead.popleft()
                nxt = next(todo, None)
                if nxt is not None:
                    ahead.append((*nxt, executor.submit(block, *nxt)))
                yield start, people[start:stop], future.result()
