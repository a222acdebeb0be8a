"""Can a stated across-seed range (Table 6: "MSE range across seeds") and a stated mean ± std
(Table 1) describe the same three numbers? For n = 3 the values are (low, b, high) with b
anywhere between, so the attainable means and stds are swept on a grid (low and high within
their rounding) and compared with the printed mean and std (within theirs).
"""

from __future__ import annotations

import numpy as np

from artifact.claims.audit.paper_logic import Check, claim_check
from artifact.claims.registry.quantities import PaperIndex
from artifact.claims.registry.values import Interval


def _attainable(low: Interval, high: Interval) -> tuple[np.ndarray, np.ndarray]:
    """Means and sample stds of every (low, b, high) on the grid."""
    lo = np.linspace(low.lo, low.hi, 11)[:, None, None]
    hi = np.linspace(high.lo, high.hi, 11)[None, :, None]
    middle = lo + np.linspace(0.0, 1.0, 401)[None, None, :] * (hi - lo)  # (11, 11, 401)
    mean = (lo + middle + hi) / 3
    std = np.sqrt(((lo - mean) ** 2 + (middle - mean) ** 2 + (hi - mean) ** 2) / 2)
    return mean, std


def range_feasibility(index: PaperIndex) -> list[Check]:
    checks = []
    for claim in index.registry.claims:
        if claim.kind != "range" or claim.statistic != "seeds" or claim.value.shape != "range":
            continue
        value = claim.value
        low = Interval(value.low - value.resolution / 2, value.low + value.resolution / 2)
        high = Interval(
            value.high - value.high_resolution / 2, value.high + value.high_resolution / 2
        )
        mean, std = _attainable(low, high)
        for operand in claim.metrics:
            for other in index.registry.claims:
                if (other.kind != "mean_std" or other.seed is not None or other.value.std is None
                        or other.n != 3 or other.id in index.marked
                        or index.canonical(other.metric) != index.canonical(operand)):  # fmt: skip
                    continue
                m = other.value.interval()
                half_std = (other.value.std_resolution or 0.0) / 2
                s = Interval(other.value.std - half_std, other.value.std + half_std)
                fits_mean = (mean >= m.lo) & (mean <= m.hi)
                fits = fits_mean & (std >= s.lo) & (std <= s.hi)
                ok = bool(fits.any())
                explanation = (
                    f"three values spanning {value.raw} ({claim.location}) have a mean in "
                    f"[{mean.min():.4g}, {mean.max():.4g}] and a std in [{std.min():.3g}, {std.max():.3g}]"
                    f"{'' if not fits_mean.any() else f' (std {std[fits_mean].min():.3g}–{std[fits_mean].max():.3g} at the stated mean)'}"
                    f"; {other.location} gives {other.value.raw}: "
                    + ("attainable" if ok else "not attainable, so the two cannot describe the same seeds"))  # fmt: skip
                checks.append(claim_check(f"range-vs-mean:{claim.id}:{other.id}", "range_feasibility",
                                          None if ok else "minor", explanation, [claim, other]))  # fmt: skip
    return checks
