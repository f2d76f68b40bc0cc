"""The sample: respondents by group and the share of missing answers by item."""

from __future__ import annotations

import pandas as pd

from ..formatting import fmt
from ..tables import make_table
from ._base import Rendered, Section

__all__ = ["SampleSection"]


class SampleSection(Section):
    type, title = "sample", "Sample"

    def compute(self, ctx, opts, unit):
        data = ctx.data
        columns = [c for c in dict.fromkeys([ctx.group, *ctx.group_columns]) if c and c in data.columns]
        counts = {
            column: pd.DataFrame({"n": data[column].astype(str).value_counts().sort_index()}).assign(
                percent=lambda f: 100 * f["n"] / len(data)
            )
            for column in columns
        }
        items = ctx.items or [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])]
        declared = pd.Series({i: data[i].isin(ctx.missing_codes.get(i, [])).mean() for i in items}, dtype=float)
        missing = pd.DataFrame({"missing": ctx.scored[items].isna().mean(), "declared_missing_code": declared})
        return {"n": len(data), "counts": counts, "missing": missing}

    def render(self, ctx, opts, results):
        payload = results["pooled"]
        out = Rendered()
        total = f"N = {payload['n']}."
        for column, frame in payload["counts"].items():
            out.tables.append(
                make_table(
                    f"sample_by_{column}",
                    f"Respondents by {ctx.label(column)}",
                    frame,
                    formats={"percent": lambda v: fmt(v, 1)},
                    note=total,
                    label=ctx.label,
                )
            )
        if ctx.group and ctx.group in payload["counts"]:
            sizes = payload["counts"][ctx.group]["n"]
            out.text.append(
                f"N = {payload['n']} respondents in {len(sizes)} groups by {ctx.label(ctx.group)} "
                f"({sizes.min()} to {sizes.max()} per group)."
            )
        else:
            out.text.append(f"N = {payload['n']} rows.")
        missing = payload["missing"]
        out.tables.append(
            make_table(
                "missing_by_item",
                "Share of missing answers by item",
                missing,
                formats={c: lambda v: fmt(100 * v, 1) + "%" for c in missing.columns},
                note=f"{total} Missing (any reason): blank or a declared missing code.",
                label=ctx.label,
            )
        )
        codes = " (declared missing codes such as not applicable included)" if ctx.missing_codes else ""
        out.text.append(
            f"Missing answers per item: {fmt(100 * missing['missing'].min(), 1)}% to "
            f"{fmt(100 * missing['missing'].max(), 1)}%{codes}."
        )
        return out

    def methods(self, ctx, opts, results):
        payload = results.get("pooled")
        if payload is None:
            return []
        codes = sorted({f"{code:g}" for codes in ctx.missing_codes.values() for code in codes})
        declared = (
            f"Declared missing codes ({', '.join(codes)}) were treated as missing answers; no answer was imputed."
            if codes
            else "No answer was imputed."
        )
        return [f"The data hold {payload['n']} respondents. {declared}"]
