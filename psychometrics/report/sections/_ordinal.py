"""Ordered items in multi-group models: every category must be answered in every group (lavaan 0.6-14 stops
with "some categories of variable ... are empty in group ..." otherwise, since a threshold that exists in one
group but not in another cannot be compared), so the report either merges sparse categories, for every group
alike and stated in the Methods section, or stops with the item, group and category and the spec's fix."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ...errors import DataError

__all__ = ["Merge", "category_merges", "merged", "empty_categories", "check_categories", "merge_sentence"]


@dataclasses.dataclass(frozen=True)
class Merge:
    """Category ``source`` of ``item`` recoded as its neighbour ``target`` in every group (``fewest``: the
    fewest answers of ``source`` in a group, at ``where``)."""

    item: str
    source: float
    target: float
    fewest: int
    where: str

    def words(self) -> str:
        answers = "no answers" if self.fewest == 0 else f"{self.fewest} answer{'s' if self.fewest > 1 else ''}"
        return f"{self.item}: {self.source:g} into {self.target:g} ({answers} at {self.where})"


def _counts(values: pd.Series, groups: pd.Series | None) -> pd.DataFrame:
    """Answers per group (rows) and category (columns, sorted) of the answered ``values``; one row "all"
    without groups."""
    keys = np.full(len(values), "all", dtype=object) if groups is None else groups.astype(str).to_numpy()
    labels, group_codes = np.unique(keys, return_inverse=True)
    categories, category_codes = np.unique(values.to_numpy(dtype=float), return_inverse=True)
    table = np.zeros((len(labels), len(categories)), dtype=np.int64)
    np.add.at(table, (group_codes, category_codes), 1)
    return pd.DataFrame(table, index=labels, columns=categories)


def _neighbour(categories: list, position: int, pooled: pd.Series):
    """The adjacent category a sparse one joins: inwards at either end, else the less frequent neighbour."""
    if position == 0:
        return categories[1]
    if position == len(categories) - 1:
        return categories[-2]
    below, above = categories[position - 1], categories[position + 1]
    return below if pooled[below] <= pooled[above] else above


def _item_merges(item: str, values: pd.Series, groups: pd.Series | None, min_count: int) -> list[Merge]:
    """Merge the sparsest category (fewest answers in a group; ties: the lowest code) with its neighbour until
    every category has ``min_count`` answers in every group (or two categories are left)."""
    merges: list[Merge] = []
    values = values.dropna() if groups is None else values[values.notna() & groups.notna()]
    while True:
        counts = _counts(values, None if groups is None else groups.loc[values.index])
        fewest = counts.min(axis=0)
        sparse = [c for c in counts.columns if fewest[c] < min_count]
        if not sparse or counts.shape[1] <= 2:
            return merges
        source = min(sparse, key=lambda c: (fewest[c], c))  # the emptiest first, then the lowest code
        categories = list(counts.columns)
        target = _neighbour(categories, categories.index(source), counts.sum(axis=0))
        merges.append(Merge(item, float(source), float(target), int(fewest[source]), str(counts[source].idxmin())))
        values = values.where(values != source, target)


def category_merges(data: pd.DataFrame, items: list, group: str | None, min_count: int | None) -> tuple:
    """The merges that give every category of every item ``min_count`` answers in every group (none without
    ``min_count``)."""
    if not min_count:
        return ()
    groups = data[group] if group else None
    return tuple(m for item in items for m in _item_merges(item, data[item], groups, int(min_count)))


def merged(data: pd.DataFrame, merges) -> pd.DataFrame:
    """A copy of ``data`` with the merges applied (the caller's frame is not changed)."""
    if not merges:
        return data
    out = data.copy()
    for m in merges:
        out[m.item] = out[m.item].where(out[m.item] != m.source, m.target)
    return out


def empty_categories(data: pd.DataFrame, items: list, group: str) -> list[tuple[str, str, float]]:
    """(item, group, category) for every category answered in some group but not in another."""
    found: list[tuple[str, str, float]] = []
    for item in items:
        answered = data[item].notna() & data[group].notna()
        counts = _counts(data.loc[answered, item], data.loc[answered, group])
        found.extend((item, str(g), float(c)) for c in counts.columns for g in counts.index[counts[c] == 0])
    return found


def check_categories(data: pd.DataFrame, items: list, group: str, section: str) -> None:
    """Refuse a multi-group ordinal model with an empty category, naming each and the spec's fix."""
    empty = empty_categories(data, items, group)
    if empty:
        listed = "; ".join(f"item {i!r} has no answer in category {c:g} in group {g!r}" for i, g, c in empty)
        raise DataError(
            f"{section}: {listed}. Ordinal multi-group models need every category answered in every "
            f"group ({group}), as in lavaan 0.6-14. Add 'min_category_count: 1' to this section of the "
            "spec to merge each empty category with its neighbour in every group alike (listed in the "
            "Methods section), or leave out the group."
        )


def merge_sentence(merges, ctx) -> list[str]:
    """The Methods sentence listing the merged categories (none: no sentence)."""
    if not merges:
        return []
    reversed_note = (
        " (codes as scored, reverse-keyed items reversed)" if any(m.item in ctx.reversed_items for m in merges) else ""
    )
    return [
        f"Sparse categories of ordered items merged with their neighbour in every group alike{reversed_note}, "
        f"since ordinal multi-group models need every category answered in every group (lavaan 0.6-14 stops "
        f"otherwise) and a threshold must mean the same in every group: {'; '.join(m.words() for m in merges)}."
    ]
