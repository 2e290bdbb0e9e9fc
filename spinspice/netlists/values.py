"""The one number formatter, the one number parser, and the identifier filter.

Everything that reaches a netlist passes through here: numbers are formatted by
:func:`format_number` (exponent form, never a SPICE scale suffix, so ``M``/``Meg``
confusion cannot happen on output), identifiers by :func:`check_identifier`.

:func:`parse_number` reads SPICE-style numbers as ngspice does, *case-insensitively*:
``1Meg`` = 1e6, ``1M``/``1m`` = 1e-3 (milli — a widely used netlister writes ``M`` for
mega, a silent 10⁹ error), ``1mil`` = 25.4e-6, and trailing unit letters are ignored
(``10pF`` = 1e-11). It is for reading user configuration and simulator output; it is
never used to let a string through to a netlist.
"""

from __future__ import annotations

import math
import re
from typing import Final

from spinspice.errors import NetlistError, ParameterError

#: Pattern every SPICE identifier we emit must match (docs/engineering_facts.md §2).
IDENTIFIER_RE: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: A file path we are willing to write into a netlist: absolute, no quotes/spaces/newlines.
SAFE_PATH_RE: Final = re.compile(r"^/[A-Za-z0-9_./+-]+$")

#: A file name relative to a run directory: safe characters, no ``.``/``..`` components.
SAFE_RELATIVE_PATH_RE: Final = re.compile(
    r"^(?!.*(?:^|/)\.\.?(?:/|$))[A-Za-z0-9_][A-Za-z0-9_./+-]*$"
)

#: Longest identifier we emit (ngspice handles more, but long names hint at misuse).
MAX_IDENTIFIER_LENGTH: Final = 64

#: Element letters ngspice assigns a meaning to; an instance name must start with its own.
ELEMENT_LETTERS: Final = frozenset("BCDEFGHIJKLMNOPQRSTUVWXYZ")

_SUFFIXES: Final = {
    "t": 1e12,
    "g": 1e9,
    "meg": 1e6,
    "k": 1e3,
    "mil": 25.4e-6,
    "m": 1e-3,
    "u": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
    "a": 1e-18,
}

_NUMBER_RE: Final = re.compile(
    r"""^\s*
    (?P<mant>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    (?P<suffix>meg|mil|[tgkmunpfa])?
    (?P<unit>(?![e])[a-z]*)
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)


def format_number(value: float) -> str:
    """Format a real number for a netlist, in exponent form with 12 significant digits.

    Parameters
    ----------
    value:
        Any finite real number (SI units; the caller knows which).

    Returns
    -------
    str
        E.g. ``1.5e+03``; integers and zero get the same form (``0.0e+00``), so no
        SPICE scale suffix is ever emitted and the value round-trips exactly through
        :func:`parse_number` to 12 significant digits.

    Raises
    ------
    NetlistError
        If ``value`` is not a finite real number (NaN, inf, bool, str, ...).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            import numpy as np

            if isinstance(value, np.floating | np.integer) and not isinstance(value, np.bool_):
                value = float(value)
            else:
                raise TypeError
        except (ImportError, TypeError):
            raise NetlistError(
                f"expected a number for the netlist, got {type(value).__name__} {value!r}; "
                "pass a float (strings such as '1Meg' are not accepted)"
            ) from None
    v = float(value)
    if not math.isfinite(v):
        raise NetlistError(f"cannot write non-finite number {v!r} to a netlist")
    text = f"{v:.11e}"
    mant, _, exp = text.partition("e")
    if "." in mant:
        mant = mant.rstrip("0")
        if mant.endswith("."):
            mant += "0"
    return f"{mant}e{exp}"


def parse_number(text: str) -> float:
    """Parse a SPICE number (``1.5k``, ``2e-9``, ``1Meg``, ``10pF``) into a float.

    Scale suffixes follow ngspice and are case-insensitive: ``T G Meg k mil m u n p f a``;
    **``M`` and ``m`` are milli**, ``Meg`` is mega. Letters after the suffix are units and
    are ignored.

    Raises
    ------
    ParameterError
        If ``text`` is not a number in that syntax.
    """
    if not isinstance(text, str):
        raise ParameterError(f"expected a string to parse as a number, got {type(text).__name__}")
    m = _NUMBER_RE.match(text)
    if m is None:
        raise ParameterError(
            f"{text!r} is not a number; write e.g. 1.5e3, 1.5k or 2e-9 (M means milli, Meg mega)"
        )
    value = float(m.group("mant"))
    suffix = m.group("suffix")
    if suffix:
        value *= _SUFFIXES[suffix.lower()]
    if not math.isfinite(value):
        raise ParameterError(f"{text!r} is not a finite number")
    return value


def check_identifier(name: str, *, what: str = "identifier") -> str:
    """Return ``name`` if it is a safe SPICE identifier, else raise :class:`NetlistError`.

    Safe means ``^[A-Za-z_][A-Za-z0-9_]*$`` and at most 64 characters: no spaces,
    newlines, dots, ``*``, ``#``, ``=`` or anything else ngspice could read as syntax.
    """
    if not isinstance(name, str):
        raise NetlistError(f"{what} must be a string, got {type(name).__name__}")
    if len(name) > MAX_IDENTIFIER_LENGTH or not IDENTIFIER_RE.match(name):
        raise NetlistError(
            f"invalid {what} {name!r}: use letters, digits and '_' only, starting with a "
            f"letter or '_', at most {MAX_IDENTIFIER_LENGTH} characters"
        )
    return name


def check_element_name(name: str, letter: str) -> str:
    """Validate an element instance name and its element letter (``R1`` for a resistor).

    Parameters
    ----------
    name:
        The full instance name, e.g. ``Rmtj1``.
    letter:
        The element letter its kind requires (``R``, ``C``, ``V``, ``M``, ``X``, ``B``, ``N``...).
    """
    check_identifier(name, what="element name")
    if letter.upper() not in ELEMENT_LETTERS or len(letter) != 1:
        raise NetlistError(f"unknown element letter {letter!r}")
    if name[0].upper() != letter.upper():
        raise NetlistError(
            f"element name {name!r} must start with {letter.upper()!r} for this kind of element"
        )
    return name
