"""Scale scores of a survey instrument: reverse keys, missing codes to NaN, prorated mean or sum scores."""

from __future__ import annotations

import pandas as pd

from ..errors import DataError
from .instrument import Instrument, InstrumentSource, Scale, load_instrument
from .validation import numeric_cells, validate_item_values

__all__ = ["score"]


def score(data: pd.DataFrame, instrument: InstrumentSource, *, keep_items: bool = True) -> pd.DataFrame:
    """Score every scale of ``instrument``; return a new DataFrame (``data`` is not modified).

    1. Declared missing codes (9 = not applicable, 99 = don't know) become NaN in every item column present
       (scale items and global ratings).
    2. Reverse-keyed items are reversed over the declared range: ``x -> minimum + maximum - x`` (6 - x for 1-5).
    3. Each scale score is the mean of its answered items (``scoring: mean``) or the prorated sum, mean x number
       of items (``scoring: sum``), when at least ``min_answered`` items are answered; otherwise NaN.
       This is ``psych::scoreItems(keys, items, totals=, impute="none")`` for complete rows; with missing
       answers psych averages the answered items without a minimum.

    Parameters
    ----------
    data : pandas.DataFrame
        Survey data with the instrument's item columns (other columns are kept unchanged).
    instrument : Instrument, path or bundled name
    keep_items : bool
        Keep all columns with the recoded items (default); False returns only the scale scores.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with the item columns recoded (floats) and one column per scale, named after the
        scale, in the instrument's order. A respondent who answered none of a scale's items gets NaN for it (not
        an error); ``.attrs["n_used"]`` and ``.attrs["n_dropped"]`` map each scale to the rows with and without
        its score.

    Raises
    ------
    DataValidationError
        A scale item is missing, or an item holds a non-number or a value outside its range that is not a
        declared missing code (``.report`` lists every such cell; run :func:`psychometrics.validate` for a full
        check).

    Examples
    --------
    >>> import psychometrics as pm
    >>> data = pm.simulate_peer_support_survey(site_sizes={"DE-Ulm": 40})
    >>> instrument = pm.load_instrument("peer_support_implementation")
    >>> scores = pm.score(data, instrument, keep_items=False)
    >>> scores.shape
    (40, 6)
    """
    instrument = load_instrument(instrument)
    scale_items = [name for scale in instrument.scales.values() for name in scale.items]
    present = [name for name in instrument.items if name in data.columns]
    validate_item_values(data, instrument, list(dict.fromkeys(scale_items + present)))
    clashes = [name for name in instrument.scales if name in data.columns]
    if keep_items and clashes:
        raise DataError(
            f"data already have column(s) {', '.join(clashes)} named like scales; rename them or pass "
            "keep_items=False to get only the scale scores."
        )
    recoded = pd.DataFrame({name: recode_item(data[name], instrument, name) for name in present}, index=data.index)
    scores = pd.DataFrame(
        {name: _scale_score(recoded, scale) for name, scale in instrument.scales.items()}, index=data.index
    )
    counts = {
        "n_used": scores.notna().sum().astype(int).to_dict(),
        "n_dropped": scores.isna().sum().astype(int).to_dict(),
    }
    if not keep_items:
        scores.attrs.update(counts)
        return scores
    out = data.copy()
    out[present] = recoded
    out = pd.concat([out, scores], axis=1)
    out.attrs.update(counts)
    return out


def recode_item(values: pd.Series, instrument: Instrument, name: str) -> pd.Series:
    """Item ``name`` as floats with its missing codes as NaN and, if reverse-keyed, reversed (min + max - x)."""
    item = instrument.items[name]
    numeric, _ = numeric_cells(values)
    numeric = numeric.where(~item.is_missing_code(numeric))
    return item.minimum + item.maximum - numeric if item.reverse else numeric


def _scale_score(recoded: pd.DataFrame, scale: Scale) -> pd.Series:
    block = recoded[list(scale.items)]
    answered = block.notna().sum(axis=1)
    mean = block.mean(axis=1)
    value = mean if scale.scoring == "mean" else mean * len(scale.items)  # prorated sum
    return value.where(answered >= scale.min_answered)
