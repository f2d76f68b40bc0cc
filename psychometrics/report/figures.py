"""Report figures as inline SVG text (matplotlib's SVG backend, deterministic output).

Figures are made with ``matplotlib.figure.Figure`` (no pyplot, no global backend switch); ``svg.hashsalt`` is
fixed and the date is left out of the metadata, so the same numbers give the same SVG bytes.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .formatting import fmt_bounded

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = ["to_svg", "scree", "heatmap", "forest", "invariance_ladder", "response_distributions"]

_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "psychometrics",
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_PALETTE = ["#2b6a99", "#d1803b", "#4f9a5d", "#b5474b", "#7a5ea8", "#8c6d46", "#c767a8", "#6b6b6b"]


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def to_svg(fig: Figure) -> str:
    """The figure as an ``<svg>`` element (no XML prolog, no date)."""
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "psychometrics"})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def scree(eigenvalues: pd.DataFrame, title: str) -> str:
    """Eigenvalues (one line per column: observed, simulated, resampled ...) against their rank."""
    fig = _figure(6, 3.4)
    with matplotlib.rc_context(_RC):
        ax = fig.add_subplot()
        x = np.arange(1, len(eigenvalues) + 1)
        for i, column in enumerate(eigenvalues.columns):
            name = str(column)
            observed = "observed" in name or "actual" in name
            colour = _PALETTE[0] if "pc" in name else _PALETTE[1] if "fa" in name else _PALETTE[i % len(_PALETTE)]
            style = "-" if observed else ":" if "resampled" in name else "--"
            ax.plot(
                x,
                eigenvalues[column].to_numpy(dtype=float),
                marker="o" if observed else None,
                markersize=4,
                linestyle=style,
                color=colour,
                label=name.replace("_pc", " (components)").replace("_fa", " (factors)"),
            )
        ax.axhline(1.0, color="#999999", linewidth=0.6)
        ax.set_xticks(x)
        ax.set_xlabel("Factor / component number")
        ax.set_ylabel("Eigenvalue")
        ax.set_title(title)
        ax.legend(frameon=False, fontsize=8)
    return to_svg(fig)


def heatmap(frame: pd.DataFrame, title: str, *, vmin: float = -1.0, vmax: float = 1.0, blocks=None) -> str:
    """A labelled matrix with values written in the cells (loadings, correlations); ``blocks`` draws lines."""
    rows, cols = frame.shape
    fig = _figure(max(4.0, 0.55 * cols + 2.2), max(3.0, 0.3 * rows + 1.2))
    with matplotlib.rc_context(_RC):
        ax = fig.add_subplot()
        values = frame.to_numpy(dtype=float)
        image = ax.imshow(values, cmap="RdBu_r", vmin=vmin, vmax=vmax, aspect="auto")
        ax.set_xticks(range(cols), [str(c) for c in frame.columns], rotation=45, ha="right")
        ax.set_yticks(range(rows), [str(r) for r in frame.index])
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(
                    j,
                    i,
                    fmt_bounded(value),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if abs(value) > 0.6 * max(abs(vmin), abs(vmax)) else "black",
                )
        for position in blocks or ():
            ax.axhline(position - 0.5, color="black", linewidth=1)
            ax.axvline(position - 0.5, color="black", linewidth=1)
        ax.set_title(title)
        fig.colorbar(image, ax=ax, shrink=0.8)
    return to_svg(fig)


def forest(estimates: pd.DataFrame, title: str, *, xlabel: str, panel: str = "scale", label: str = "unit") -> str:
    """Point estimates with CIs (columns estimate, low, high), one panel per ``panel`` value, rows by ``label``."""
    panels = list(dict.fromkeys(estimates[panel]))
    fig = _figure(2.4 * min(len(panels), 3) + 1.2, 2.4 * int(np.ceil(len(panels) / 3)) + 0.4)
    with matplotlib.rc_context(_RC):
        axes = fig.subplots(int(np.ceil(len(panels) / 3)), min(len(panels), 3), squeeze=False, sharex=True)
        for ax in axes.flat[len(panels) :]:
            ax.set_visible(False)
        for ax, name in zip(axes.flat, panels):
            part = estimates.loc[estimates[panel] == name]
            y = np.arange(len(part))[::-1]
            pooled = (part[label] == "pooled").to_numpy()
            ax.errorbar(
                part["estimate"],
                y,
                xerr=[part["estimate"] - part["low"], part["high"] - part["estimate"]],
                fmt="none",
                ecolor="#555555",
                elinewidth=1,
                capsize=2,
            )
            ax.scatter(part["estimate"], y, c=np.where(pooled, _PALETTE[3], _PALETTE[0]), s=18, zorder=3)
            ax.set_yticks(y, list(part[label]))
            ax.axvline(0.7, color="#999999", linewidth=0.6, linestyle=":")
            ax.set_title(str(name), fontsize=9)
            ax.set_xlabel(xlabel)
        fig.suptitle(title)
    return to_svg(fig)


# Hu & Bentler (1999) / Browne & Cudeck (1993): (good band, acceptable band) of CFI and RMSEA
_FIT_BANDS = {"cfi": ((0.95, 1.0), (0.90, 0.95)), "rmsea": ((0.0, 0.06), (0.06, 0.08))}
_GOOD, _ACCEPTABLE = "#d9efdc", "#fdf3d6"


def invariance_ladder(tables: dict, title: str) -> str:
    """CFI and RMSEA at each invariance level, one line per model (``tables``: name -> invariance table), over
    the bands of good (green) and acceptable (yellow) fit; the RMSEA axis starts at 0, the CFI axis ends at 1."""
    fig = _figure(6.5, 3.2 + 0.15 * len(tables))
    with matplotlib.rc_context(_RC):
        left, right = fig.subplots(1, 2)
        levels = list(dict.fromkeys(level for table in tables.values() for level in table.index))
        x = np.arange(len(levels))
        for ax, column, label in ((left, "cfi", "CFI"), (right, "rmsea", "RMSEA")):
            values = []
            for i, (name, table) in enumerate(tables.items()):
                line = table[column].reindex(levels).to_numpy(dtype=float)
                values.extend(line[np.isfinite(line)])
                ax.plot(x, line, marker="o", color=_PALETTE[i % len(_PALETTE)], label=str(name), zorder=3)
            (good_low, good_high), (fair_low, fair_high) = _FIT_BANDS[column]
            ax.axhspan(good_low, good_high, color=_GOOD, zorder=0, label="good fit")
            ax.axhspan(fair_low, fair_high, color=_ACCEPTABLE, zorder=0, label="acceptable fit")
            if column == "rmsea":
                ax.set_ylim(0, max(0.10, 1.15 * max(values, default=0.0)))
            else:
                ax.set_ylim(min(0.85, min(values, default=1.0) - 0.01), 1.0)
            ax.set_xticks(x, levels, rotation=20)
            ax.set_ylabel(label)
        handles, labels = right.get_legend_handles_labels()
        shown = [(h, l) for h, l in zip(handles, labels) if len(tables) > 1 or l.endswith("fit")]
        fig.legend(
            [h for h, _ in shown], [l for _, l in shown], loc="outside lower center", ncols=4, frameon=False, fontsize=7
        )
        fig.suptitle(title)
    return to_svg(fig)


def response_distributions(shares: pd.DataFrame, title: str, *, legend: dict | None = None, names=str) -> str:
    """Stacked horizontal bars: the share of each response category (columns) per item (rows); ``legend``
    gives each category's text (e.g. "1 strongly disagree"), ``names`` each item's."""
    legend = legend or {}
    fig = _figure(6.5, 0.28 * len(shares) + 1.4)
    with matplotlib.rc_context(_RC):
        ax = fig.add_subplot()
        y = np.arange(len(shares))[::-1]
        left = np.zeros(len(shares))
        colours = matplotlib.colormaps["RdYlBu"](np.linspace(0.1, 0.9, max(len(shares.columns), 2)))
        for colour, column in zip(colours, shares.columns):
            width = shares[column].to_numpy(dtype=float)
            ax.barh(
                y,
                width,
                left=left,
                color="#bbbbbb" if str(column) == "missing" else colour,
                label=legend.get(column, str(column)),
                height=0.8,
            )
            left = left + width
        ax.set_yticks(y, [names(i) for i in shares.index])
        ax.set_xlim(0, 1)
        ax.set_xlabel("Share of respondents")
        fig.legend(ncols=min(len(shares.columns), 6), loc="outside lower center", frameon=False, fontsize=7)
        ax.set_title(title)
    return to_svg(fig)
