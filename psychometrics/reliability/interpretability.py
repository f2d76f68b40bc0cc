"""Interpretability of scale scores (COSMIN): floor and ceiling effects, measurement error, detectable and
important change.

- Floor / ceiling effects: the share of respondents at the lowest / highest possible score; an effect is flagged
  when that share exceeds 15% (McHorney & Tarlov 1995; Terwee et al. 2007, J Clin Epidemiol 60:34-42, criterion 7).
- Standard error of measurement SEM = SD sqrt(1 - ICC) from a test-retest ICC (de Vet et al. 2006, J Clin
  Epidemiol 59:1033-1039; Terwee et al. 2007, criterion 5), and the smallest detectable change of an individual
  SDC = z sqrt(2) SEM, 1.96 sqrt(2) SEM at 95% (de Vet et al. 2006), of a group mean SDC / sqrt(n).
- Distribution-based minimal important change: half a standard deviation (Norman, Sloan & Wyrwich 2003, Med Care
  41:582-592).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping
import math

import numpy as np
import pandas as pd

from .._checks import check_column_labels, check_confidence, cut, z_critical
from .._results import Result, TableResult
from .._typing import FloatOrArray, Scores
from ..errors import DataError
from .classical import _paired_scores
from .icc import icc

__all__ = [
    "FloorCeilingResult",
    "MeasurementErrorResult",
    "floor_ceiling",
    "measurement_error",
    "smallest_detectable_change",
    "minimal_important_change",
]

FLOOR_CEILING_THRESHOLD = 0.15  # Terwee et al. (2007): more than 15% at the lowest or highest possible score


def _score_frame(scores: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Scale scores as a float DataFrame (a Series becomes one column); non-numbers are a DataError."""
    frame = scores.to_frame() if isinstance(scores, pd.Series) else scores
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"scores must be a pandas DataFrame or Series of scale scores; got {type(scores).__name__}.")
    check_column_labels(frame, "scores")
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & frame.notna()
    if bad.to_numpy().any():
        row, column = bad.stack().idxmax()
        raise DataError(f"scores has a non-numeric value {frame.loc[row, column]!r} in column {column!r}, row {row!r}.")
    return numeric.astype(float)


def _per_scale(value: float | Mapping[Hashable, float], columns: pd.Index, name: str) -> pd.Series:
    """A number for every scale: a scalar for all, or a mapping scale -> number."""
    if isinstance(value, (int, float, np.integer, np.floating)):
        return pd.Series(float(value), index=columns)
    if not isinstance(value, (Mapping, pd.Series)):
        raise DataError(f"{name} must be a number or a mapping scale -> number; got {cut(repr(value), 80)}.")
    try:
        series = pd.Series(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise DataError(f"{name} must map each scale to a number; got {cut(repr(value), 80)}.") from error
    missing = [c for c in columns if c not in series.index]
    if missing:
        raise DataError(f"{name} gives no value for scale(s) {missing}; pass a number or a mapping for every scale.")
    return series.reindex(columns)


# --------------------------------------------------------------------------------------------------- floor/ceiling
@dataclasses.dataclass(frozen=True, repr=False)
class FloorCeilingResult(TableResult):
    """Floor and ceiling effects per scale.

    ``table`` is indexed by scale with columns n (respondents with a score), minimum, maximum (the possible
    scores), floor_n, floor_share, ceiling_n, ceiling_share, floor_effect, ceiling_effect (share above
    ``threshold``); ``n_dropped`` counts the missing scores per scale.
    """

    threshold: float
    n_dropped: dict


def floor_ceiling(
    scores: pd.DataFrame | pd.Series,
    minimum: float | Mapping[Hashable, float],
    maximum: float | Mapping[Hashable, float],
    *,
    threshold: float = FLOOR_CEILING_THRESHOLD,
) -> FloorCeilingResult:
    """Share of respondents at the lowest and at the highest possible score of each scale.

    A floor (ceiling) effect is flagged when more than ``threshold`` (15%) of the respondents have the lowest
    (highest) possible score (McHorney & Tarlov 1995; Terwee et al. 2007, criterion 7). Missing scores are left
    out (``n_dropped``).

    Parameters
    ----------
    scores : DataFrame or Series
        Scale scores, one column per scale (e.g. from :func:`psychometrics.score`).
    minimum, maximum : number or mapping scale -> number
        The lowest and highest possible score (e.g. 1 and 5 for the mean of 1-5 items).
    threshold : float
        Share above which an effect is flagged.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")
    >>> res = pm.floor_ceiling(hs[["x1", "x2"]], 0, 10)
    >>> res.to_frame()["floor_effect"].tolist()
    [False, False]
    """
    if not 0 < threshold < 1:
        raise DataError(f"threshold={threshold!r} must lie strictly between 0 and 1, e.g. 0.15.")
    frame = _score_frame(scores)
    low, high = _per_scale(minimum, frame.columns, "minimum"), _per_scale(maximum, frame.columns, "maximum")
    if (low >= high).any():
        scale = (low >= high).idxmax()
        raise DataError(f"scale {scale!r}: minimum {low[scale]} is not below maximum {high[scale]}.")
    outside = (frame.lt(low) | frame.gt(high)).any()
    if outside.any():
        scale = outside.idxmax()
        raise DataError(
            f"scale {scale!r} has scores outside its possible range [{low[scale]}, {high[scale]}]; "
            "check minimum and maximum."
        )
    n = frame.notna().sum()
    if (n == 0).any():
        raise DataError(f"scale {(n == 0).idxmax()!r} has no scores.")
    at_floor = np.isclose(frame, low.to_numpy()).sum(axis=0)
    at_ceiling = np.isclose(frame, high.to_numpy()).sum(axis=0)
    table = pd.DataFrame(
        {
            "n": n,
            "minimum": low,
            "maximum": high,
            "floor_n": at_floor,
            "floor_share": at_floor / n,
            "ceiling_n": at_ceiling,
            "ceiling_share": at_ceiling / n,
        }
    ).rename_axis("scale")
    table["floor_effect"] = table["floor_share"] > threshold
    table["ceiling_effect"] = table["ceiling_share"] > threshold
    return FloorCeilingResult(
        table=table, threshold=float(threshold), n_dropped={c: int(len(frame) - n[c]) for c in frame.columns}
    )


# --------------------------------------------------------------------------------------------------- measurement error
def smallest_detectable_change(sem: FloatOrArray, confidence: float = 0.95) -> float | np.ndarray:
    """Smallest detectable change of an individual, SDC = z sqrt(2) SEM (1.96 sqrt(2) SEM at 95%).

    The change between two measurements that exceeds measurement error with the given confidence (de Vet et al.
    2006; Terwee et al. 2007): the difference of two scores has standard error sqrt(2) SEM. ``sem`` may be an array.

    Examples
    --------
    >>> import psychometrics as pm
    >>> round(pm.smallest_detectable_change(0.5), 4)
    1.3859
    """
    confidence = check_confidence(confidence)
    values = np.asarray(sem, dtype=float)
    if np.isnan(values).any() or (values < 0).any():
        raise DataError(f"sem must be a non-negative number; got {sem!r}.")
    sdc = z_critical(confidence) * math.sqrt(2) * values
    return float(sdc) if sdc.ndim == 0 else sdc


def minimal_important_change(scores: pd.DataFrame | pd.Series) -> float | pd.Series:
    """Distribution-based minimal important change: half the standard deviation of the scores (Norman, Sloan &
    Wyrwich 2003). A Series (or DataFrame) of scores gives a float (or a Series per scale); SD with divisor n - 1,
    missing scores left out.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")
    >>> round(pm.minimal_important_change(hs["x1"]), 4)
    0.5837
    """
    frame = _score_frame(scores)
    half_sd = 0.5 * frame.std(ddof=1)
    if half_sd.isna().any():
        raise DataError(f"scale {half_sd.isna().idxmax()!r} has fewer than 2 scores; its SD is undefined.")
    return float(half_sd.iloc[0]) if isinstance(scores, pd.Series) else half_sd.rename("mic")


@dataclasses.dataclass(frozen=True, repr=False)
class MeasurementErrorResult(Result):
    """Measurement error of a score from a test-retest study.

    ``icc`` the test-retest ICC (``icc_form``), ``sd`` the standard deviation of the scores, ``sem`` =
    sd sqrt(1 - icc), ``sdc`` = z sqrt(2) sem (smallest detectable change of an individual at ``confidence``),
    ``sdc_group`` = sdc / sqrt(n_used) (of a group mean), ``mic`` = 0.5 sd (distribution-based minimal important
    change), ``n_used`` respondents with both scores, ``n_dropped`` respondents without both.
    """

    icc: float
    icc_form: str
    sd: float
    sem: float
    sdc: float
    sdc_group: float
    mic: float
    confidence: float
    n_used: int
    n_dropped: int

    def to_frame(self) -> pd.DataFrame:
        """The statistics as a one-row table (columns icc, sd, sem, sdc, sdc_group, mic, n_used, n_dropped)."""
        fields = ("icc", "sd", "sem", "sdc", "sdc_group", "mic", "n_used", "n_dropped")
        return pd.DataFrame([{name: getattr(self, name) for name in fields}], index=[self.icc_form])


def measurement_error(
    time1: Scores, time2: Scores, *, icc_form: str = "ICC2", confidence: float = 0.95
) -> MeasurementErrorResult:
    """SEM, smallest detectable change and the 0.5 SD minimal important change from test-retest scores.

    icc is the test-retest ICC of the respondents x occasions table (:func:`psychometrics.icc`; ``"ICC2"``, the
    two-way random absolute-agreement ICC(2,1) recommended for test-retest by de Vet et al. 2006 and Koo & Li
    2016, or ``"ICC3"`` for consistency); sd is the pooled SD of the two occasions, sqrt((s_1^2 + s_2^2) / 2);
    SEM = sd sqrt(1 - icc) (Lord & Novick 1968; de Vet et al. 2006); SDC = z sqrt(2) SEM, 1.96 sqrt(2) SEM at 95%
    (de Vet et al. 2006; Terwee et al. 2007); SDC of a group mean = SDC / sqrt(n); MIC = 0.5 sd (Norman et al.
    2003). Respondents without both scores are left out (``n_dropped``).

    R: ``psych::ICC(cbind(time1, time2), lmer = FALSE)`` for the ICC; the rest is arithmetic on it.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")
    >>> res = pm.measurement_error(hs["x4"], hs["x5"])
    >>> round(res.sem, 4), round(res.sdc, 4)
    (0.892, 2.4724)
    """
    if icc_form not in ("ICC2", "ICC3"):
        raise DataError(f"icc_form={icc_form!r} is not supported; choose 'ICC2' (agreement) or 'ICC3' (consistency).")
    confidence = check_confidence(confidence)
    pair = _paired_scores(time1, time2)
    complete = pair.dropna()
    if len(complete) < 4:
        raise DataError(f"only {len(complete)} respondent(s) have both scores; test-retest needs at least 4.")
    reliability = icc(complete, confidence=confidence).value(icc_form)
    sd = math.sqrt(complete.var(ddof=1).mean())
    sem = sd * math.sqrt(max(1.0 - reliability, 0.0))
    sdc = float(smallest_detectable_change(sem, confidence))
    return MeasurementErrorResult(
        icc=float(reliability),
        icc_form=icc_form,
        sd=sd,
        sem=sem,
        sdc=sdc,
        sdc_group=sdc / math.sqrt(len(complete)),
        mic=0.5 * sd,
        confidence=confidence,
        n_used=len(complete),
        n_dropped=len(pair) - len(complete),
    )
