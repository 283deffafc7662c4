"""CVR and EAN checks.

CVR is the Danish company register number: 8 digits whose weighted sum with the weights
2, 7, 6, 5, 4, 3, 2, 1 is divisible by 11 (the modulus-11 check). EAN here is a GLN, the
13-digit location number that public-sector customers use for e-invoicing, with a GS1
mod-10 check digit.
"""

from __future__ import annotations

import re

_CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
_SEPARATORS = re.compile(r"[\s\-.]")


def normalize_cvr(raw: str | None) -> str | None:
    """Return the 8-digit CVR in `raw`, or None when `raw` is not a valid CVR.

    Accepts a `DK` prefix, spaces and hyphens (`DK 12 34 56 78`, `12-34-56-78`). A foreign
    EU VAT number (`SE556…`, `DE…`) is not a CVR and returns None.
    """
    if raw is None:
        return None
    compact = _SEPARATORS.sub("", raw).upper()
    if compact.startswith("DK"):
        compact = compact[2:]
    if len(compact) != 8 or not compact.isdigit() or compact[0] == "0":
        return None
    checksum = sum(int(digit) * weight for digit, weight in zip(compact, _CVR_WEIGHTS, strict=True))
    if checksum % 11 != 0:
        return None
    return compact


def is_valid_gln(raw: str | None) -> bool:
    """Return whether `raw` is a 13-digit GLN (EAN location number) with a correct check digit."""
    if raw is None:
        return False
    digits = _SEPARATORS.sub("", raw)
    if len(digits) != 13 or not digits.isdigit():
        return False
    body, check = digits[:12], int(digits[12])
    # GS1 weights alternate 1 and 3 from the left for a 13-digit number.
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(body))
    return (10 - total % 10) % 10 == check
