"""Numbers for people: significant figures and thousands separators, never in scientific notation. No
dependency, so that the command line formats its tables with it without loading pandas."""

from __future__ import annotations

import math


def _digits(x: float, significant: int) -> int:
    """Decimals that round ``x`` to ``significant`` figures (negative: tens, hundreds, ... for large numbers)."""
    if x == 0 or not math.isfinite(x):
        return 0
    return significant - 1 - math.floor(math.log10(abs(x)))


def fmt_number(x: float, significant: int = 3) -> str:
    """``x`` with thousands separators and ``significant`` figures, never in scientific notation."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    d = _digits(x, significant)
    rounded = round(x, d)
    text = f"{rounded:,.{max(d, 0)}f}"
    return text.replace("-", "−")
