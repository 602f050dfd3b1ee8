"""Shared table printing for the benchmark scripts.

Each benchmark prints one table with the columns figure, value, unit, target, met.
"""

from __future__ import annotations

__all__ = ["print_table"]


def _fmt_value(value: float) -> str:
    """Format a measured figure compactly: integers without decimals, others with 3 significant digits."""
    if value != value:  # NaN
        return "nan"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def print_table(title: str, rows: list[tuple[str, float, str, str, bool]]) -> None:
    """Print ``rows`` of (figure, value, unit, target, met) as an aligned plain-text table under ``title``."""
    header = ("figure", "value", "unit", "target", "met")
    body = [(str(name), _fmt_value(value), str(unit), str(target), "yes" if met else "NO")
            for name, value, unit, target, met in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    right = {1}  # right-align the numeric column

    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(title)
    print(line(header))
    print(line(tuple("-" * w for w in widths)))
    for r in body:
        print(line(r))
    print(flush=True)
