"""Demo run by ``make demo`` until the report pipeline lands: reliability of the bundled bfi scales."""

from __future__ import annotations

from . import datasets
from .reliability import cronbach_alpha

BFI_SCALES = {
    "agreeableness": (["A1", "A2", "A3", "A4", "A5"], ["A1"]),
    "conscientiousness": (["C1", "C2", "C3", "C4", "C5"], ["C4", "C5"]),
    "extraversion": (["E1", "E2", "E3", "E4", "E5"], ["E1", "E2"]),
    "neuroticism": (["N1", "N2", "N3", "N4", "N5"], []),
    "openness": (["O1", "O2", "O3", "O4", "O5"], ["O2", "O5"]),
}


def main() -> None:
    bfi = datasets.load("bfi")
    print("Cronbach's alpha of the bfi scales (psych::alpha with the psych bfi keys, pairwise, Feldt 95% CI)")
    for scale, (items, reverse) in BFI_SCALES.items():
        result = cronbach_alpha(bfi[items], keys=reverse or None)
        low, high = result.ci
        print(f"  {scale:<18} alpha {result.alpha:.3f} [{low:.3f}, {high:.3f}]  n = {result.n_obs}")


if __name__ == "__main__":
    main()
