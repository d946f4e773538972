"""How a number is written on the pages (dashboard, report, portal): one rule, no pandas, so
the portal's request path can use it."""

from __future__ import annotations


def number_text(value: float, decimals: int | None = None, signed: bool = False) -> str:
    """``1234.5`` -> ``1,234.5``; whole numbers without decimals.

    Negative values use the minus sign (U+2212), not ``△``: in these pages △ is a progress mark.
    """
    if decimals is None:
        decimals = 0 if abs(value - round(value)) < 1e-9 or abs(value) >= 1000 else 1
        if decimals and abs(value) < 10:
            # Rates such as 合計特殊出生率 1.45 are read to the hundredth: 1.4 would misstate it.
            decimals = 2 if abs(value * 10 - round(value * 10)) > 1e-9 else 1
    text = f"{abs(value):,.{decimals}f}"
    if value < 0 and float(text.replace(",", "")) != 0:
        return "−" + text
    return ("+" + text) if signed and value > 0 else text
