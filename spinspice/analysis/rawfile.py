"""Reader for ngspice raw files (binary and ascii; several plots per file; complex data).

Format facts (docs/engineering_facts.md §2): a file holds one or more plots, each a text header
(``Title:``, ``Date:``, since ngspice 44 ``Command:``, ``Plotname:``, ``Flags:``,
``No. Variables:``, ``No. Points:`` — possibly space-padded —, ``Variables:`` with one
``index name type`` line per variable) followed by ``Binary:`` (float64 little-endian,
point-major; complex plots store two doubles per value) or ``Values:`` (ascii: the point
index then one value per line; complex values as ``re,im``). Plots appear in analysis
order, not netlist order. Branch currents are ``i(v1)`` in ngspice ≥ 44 and ``v1#branch``
before; both spellings are accepted on lookup.

A run that stops early can leave fewer points than its header says; that is an error
unless ``allow_truncated=True``, which returns the complete points and sets ``truncated``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from spinspice.errors import ResultParseError

_PLOT_KINDS = {
    "op": ("operating point",),
    "tran": ("transient analysis",),
    "ac": ("ac analysis",),
    "dc": ("dc transfer characteristic",),
    "noise": ("noise",),
}
_BRANCH_RE = re.compile(r"^i\((.+)\)$")
#: Fields of a ``Variables:`` header line: ``index name type`` (ngspice raw format,
#: docs/engineering_facts.md §2).
VARIABLE_LINE_FIELDS: Final = 3
#: Fields of the first ascii line of a point: the point index, then the first value
#: (ngspice raw format, docs/engineering_facts.md §2).
ASCII_POINT_HEAD_FIELDS: Final = 2


@dataclass(frozen=True, slots=True)
class RawVariable:
    """One variable of a plot: position, lower-cased name and kind (voltage, current ...)."""

    index: int
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class RawPlot:
    """One plot (analysis result) of a raw file.

    ``data`` maps the lower-cased variable names to 1-D float64 arrays (complex128 for
    complex plots), all of length :attr:`n_points`.
    """

    title: str
    date: str
    command: str | None
    plotname: str
    flags: frozenset[str]
    variables: tuple[RawVariable, ...]
    data: Mapping[str, np.ndarray]
    truncated: bool = False

    @property
    def is_complex(self) -> bool:
        """True for complex data (AC analyses)."""
        return "complex" in self.flags

    @property
    def n_points(self) -> int:
        """Number of (complete) points."""
        return len(self.scale)

    @property
    def scale(self) -> np.ndarray:
        """The first variable (time, frequency, sweep value)."""
        return self.data[self.variables[0].name]

    def names(self) -> list[str]:
        """Variable names in file order (lower case)."""
        return [v.name for v in self.variables]

    def __getitem__(self, name: str) -> np.ndarray:
        key = name.strip().lower()
        for candidate in _aliases(key):
            if candidate in self.data:
                return self.data[candidate]
        raise ResultParseError(
            f"no vector {name!r} in plot {self.plotname!r}; available: {', '.join(self.names())}"
        )


def _aliases(key: str) -> list[str]:
    out = [key]
    m = _BRANCH_RE.match(key)
    if m:
        out.append(f"{m.group(1)}#branch")
    elif key.endswith("#branch"):
        out.append(f"i({key[: -len('#branch')]})")
    elif "(" not in key:
        out.append(f"v({key})")
    elif key.startswith("v(") and key.endswith(")"):
        out.append(key[2:-1])
    return out


def _normalise_name(name: str, kind: str) -> str:
    name = name.lower()
    if name.endswith("#branch"):
        return f"i({name[: -len('#branch')]})"
    if kind == "voltage" and "(" not in name:
        return f"v({name})"
    return name


def _parse_header(lines: list[str], where: str) -> dict[str, str]:
    header: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if not sep:
            raise ResultParseError(f"{where}: malformed header line {line!r}")
        header[key.strip().lower()] = value.strip()
    return header


def read_raw(
    source: str | os.PathLike[str] | bytes, *, allow_truncated: bool = False
) -> list[RawPlot]:
    """Read every plot of an ngspice raw file.

    Parameters
    ----------
    source:
        A path, or the file's bytes.
    allow_truncated:
        Accept plots with fewer points than their header states.

    Raises
    ------
    ResultParseError
        Unreadable file, malformed header, or short data (unless allowed).
    """
    if isinstance(source, bytes):
        buf, where = source, "raw data"
    else:
        where = str(source)
        try:
            buf = Path(source).read_bytes()
        except OSError as exc:
            raise ResultParseError(f"cannot read raw file {where}: {exc.strerror}") from None
    plots: list[RawPlot] = []
    pos = 0
    while pos < len(buf):
        if not buf[pos:].strip():
            break
        plot, pos = _read_plot(buf, pos, f"{where} plot {len(plots) + 1}", allow_truncated)
        plots.append(plot)
    if not plots:
        raise ResultParseError(f"{where}: no plots (empty raw file)")
    return plots


def _read_plot(buf: bytes, pos: int, where: str, allow_truncated: bool) -> tuple[RawPlot, int]:
    header_lines: list[str] = []
    variables: list[RawVariable] = []
    in_vars = False
    while True:
        end = buf.find(b"\n", pos)
        if end < 0:
            raise ResultParseError(f"{where}: header ends before 'Binary:' or 'Values:'")
        try:
            line = buf[pos:end].decode("ascii").rstrip("\r")
        except UnicodeDecodeError:
            raise ResultParseError(f"{where}: header is not ASCII text") from None
        pos = end + 1
        stripped = line.strip()
        low = stripped.lower()
        if low in ("binary:", "values:"):
            binary = low == "binary:"
            break
        if in_vars:
            parts = stripped.split()
            if len(parts) < VARIABLE_LINE_FIELDS or not parts[0].isdigit():
                raise ResultParseError(f"{where}: malformed variable line {line!r}")
            variables.append(RawVariable(int(parts[0]), parts[1].lower(), parts[2].lower()))
            continue
        if low == "variables:":
            in_vars = True
            continue
        if stripped:
            header_lines.append(stripped)
    header = _parse_header(header_lines, where)
    try:
        n_vars = int(header["no. variables"])
        n_points = int(header["no. points"])
    except (KeyError, ValueError):
        raise ResultParseError(
            f"{where}: missing or invalid 'No. Variables'/'No. Points'"
        ) from None
    if n_vars != len(variables) or n_vars == 0:
        raise ResultParseError(
            f"{where}: header says {n_vars} variables but {len(variables)} are listed"
        )
    flags = frozenset(header.get("flags", "real").lower().split())
    is_complex = "complex" in flags
    names = [_normalise_name(v.name, v.kind) for v in variables]
    variables = [RawVariable(v.index, n, v.kind) for v, n in zip(variables, names, strict=True)]
    if binary:
        values, pos, got = _binary_values(buf, pos, n_vars, n_points, is_complex)
    else:
        values, pos, got = _ascii_values(buf, pos, n_vars, n_points, is_complex, where)
    truncated = got < n_points
    if truncated and not allow_truncated:
        raise ResultParseError(
            f"{where}: header says {n_points} points but the data holds {got} "
            "(the run probably stopped early)"
        )
    data = {name: values[:, i].copy() for i, name in enumerate(names)}
    plot = RawPlot(
        title=header.get("title", ""),
        date=header.get("date", ""),
        command=header.get("command"),
        plotname=header.get("plotname", ""),
        flags=flags,
        variables=tuple(variables),
        data=data,
        truncated=truncated,
    )
    return plot, pos


def _binary_values(
    buf: bytes, pos: int, n_vars: int, n_points: int, is_complex: bool
) -> tuple[np.ndarray, int, int]:
    width = 2 if is_complex else 1
    point_bytes = 8 * width * n_vars
    available = (len(buf) - pos) // point_bytes
    got = min(n_points, available)
    raw = np.frombuffer(buf, dtype="<f8", count=got * n_vars * width, offset=pos)
    raw = raw.reshape(got, n_vars, width)
    values = raw[..., 0] + 1j * raw[..., 1] if is_complex else raw[..., 0]
    return values, pos + got * point_bytes, got


def _ascii_values(
    buf: bytes, pos: int, n_vars: int, n_points: int, is_complex: bool, where: str
) -> tuple[np.ndarray, int, int]:
    dtype = np.complex128 if is_complex else np.float64
    values = np.empty((n_points, n_vars), dtype=dtype)
    got = 0
    lines = buf[pos:].split(b"\n")
    consumed = 0
    i = 0
    try:
        while got < n_points and i + n_vars <= len(lines):
            first = lines[i].split()
            if not first:
                if i == len(lines) - 1 or not b"".join(lines[i:]).strip():
                    break
                i += 1
                continue
            if len(first) != ASCII_POINT_HEAD_FIELDS or not first[0].isdigit():
                break  # next plot's header or garbage
            fields = [first[1]] + [lines[i + k].strip() for k in range(1, n_vars)]
            for j, text in enumerate(fields):
                values[got, j] = _parse_ascii_value(text, is_complex)
            got += 1
            i += n_vars
            consumed = i
    except ValueError as exc:
        raise ResultParseError(f"{where}: bad value in ascii data ({exc})") from None
    offset = pos + sum(len(ln) + 1 for ln in lines[:consumed])
    return values[:got], min(offset, len(buf)), got


def _parse_ascii_value(text: bytes | str, is_complex: bool) -> complex | float:
    s = text.decode("ascii") if isinstance(text, bytes) else text
    if is_complex:
        re_s, sep, im_s = s.partition(",")
        if not sep:
            raise ValueError(f"complex value without ',': {s!r}")
        return complex(float(re_s), float(im_s))
    return float(s)


def find_plot(plots: Sequence[RawPlot], kind: str) -> RawPlot:
    """The first plot of an analysis kind (``op``, ``tran``, ``ac``, ``dc``, ``noise``).

    Raises
    ------
    ResultParseError
        If no plot of that kind is present.
    """
    prefixes = _PLOT_KINDS.get(kind.lower())
    if prefixes is None:
        raise ResultParseError(f"unknown analysis kind {kind!r}; use one of {sorted(_PLOT_KINDS)}")
    for plot in plots:
        if plot.plotname.lower().startswith(prefixes):
            return plot
    raise ResultParseError(f"no {kind} plot among {[p.plotname for p in plots]}")
