"""Post-render safety guard: ngspice executes commands from netlists, so we check.

ngspice runs a comment line starting ``*#`` as a control command, and ``.control``
blocks accept ``shell``, ``pre_*``, ``source`` and ``osdi`` (ENGINEERING_NOTES §2). The
renderer only ever writes validated identifiers and numbers, but this guard checks the
*text* as a second, independent line of defence:

* no carriage return, NUL, tab-less control characters or non-ASCII bytes;
* no ``*#`` line; no ``.control``/``.endc`` in the body; only the dot-commands the
  toolkit writes; no line whose first word is ``shell``, ``source`` or ``pre_*``;
* the one ``.control`` block is the one :func:`render_control` wrote from
  :class:`ControlSettings` (only ``set num_threads``, ``set filetype`` and ``pre_osdi``).

User-supplied model libraries are scanned by :func:`check_model_library` (recursively
through their ``.include``/``.lib`` references) before a deck may reference them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from spinspice.errors import NetlistError
from spinspice.netlists.values import SAFE_RELATIVE_PATH_RE

#: Dot-commands the toolkit writes in a deck body.
ALLOWED_DOT_COMMANDS: Final = frozenset(
    {
        ".options",
        ".temp",
        ".include",
        ".lib",
        ".model",
        ".subckt",
        ".ends",
        ".op",
        ".tran",
        ".dc",
        ".save",
        ".ic",
        ".nodeset",
        ".end",
    }
)

#: Dot-commands a model library may contain (foundry kits use a few more).
ALLOWED_LIBRARY_DOT_COMMANDS: Final = ALLOWED_DOT_COMMANDS | frozenset(
    {".endl", ".param", ".option", ".global", ".inc"}
)

#: Lines whose first word *starts with* one of these are refused (ngspice commands that run
#: programs or load files) ...
_FORBIDDEN_PREFIXES: Final = ("shell", "source", "pre_")
#: ... and lines whose first word *is* one of these.
_FORBIDDEN_WORDS: Final = ("exec", "system", "cd", "osdi")
_BAD_CHAR_RE: Final = re.compile(r"[^\x20-\x7e\t\n]")
_PRINTABLE: Final = bytes(range(0x20, 0x7F)) + b"\t\n"
#: One pass over the line starts: ``*#`` lines, dot-commands and forbidden first words.
_LINE_START_RE: Final = re.compile(
    r"^[ \t]*(\*#|\.[^\s]*|(?:"
    + "|".join(_FORBIDDEN_PREFIXES)
    + r")|(?:"
    + "|".join(_FORBIDDEN_WORDS)
    + r")(?=\s|$))",
    re.M | re.I,
)


def _bad(text: str, pos: int, where: str, why: str) -> NetlistError:
    lineno = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start : end if end >= 0 else len(text)]
    shown = line if len(line) <= 80 else line[:77] + "..."
    return NetlistError(f"{where} line {lineno}: {why}: {shown!r}")


def check_text(text: str, *, where: str = "netlist", library: bool = False) -> None:
    """Check netlist text (without a control block) against the rules in the module docstring.

    Two passes over the whole text (a 128×128 array deck is 12–17 MB): an ASCII/printable
    byte check, then one regular expression over the line starts; the first offending
    line is reported.

    Raises
    ------
    NetlistError
        Naming the first offending line, if any rule is broken.
    """
    if "\r" in text or "\x00" in text:
        raise NetlistError(f"{where} contains a carriage return or NUL character")
    if not text.isascii() or text.encode("ascii").translate(None, delete=_PRINTABLE):
        m = _BAD_CHAR_RE.search(text)
        assert m is not None
        raise _bad(text, m.start(), where, "non-printable or non-ASCII character")
    allowed = ALLOWED_LIBRARY_DOT_COMMANDS if library else ALLOWED_DOT_COMMANDS
    for m in _LINE_START_RE.finditer(text):
        token = m.group(1)
        if token.startswith("*#"):
            raise _bad(text, m.start(), where, "'*#' lines are executed by ngspice")
        if token.startswith("."):
            word = token.lower()
            if word in (".control", ".endc"):
                raise _bad(text, m.start(), where, ".control blocks are written only by spinspice")
            if word not in allowed:
                raise _bad(text, m.start(), where, f"dot-command {word} is not allowed")
            continue
        raise _bad(text, m.start(), where, "command is not allowed in a netlist")


@dataclass(frozen=True, slots=True)
class ControlSettings:
    """The only control commands the toolkit writes.

    Parameters
    ----------
    num_threads:
        OpenMP threads for device evaluation (ngspice's ``num_threads``; Debian's start-up
        script sets 8, so we always set it). 1–256.
    filetype:
        Raw-file format.
    osdi:
        Compiled Verilog-A models to load with ``pre_osdi``: file names relative to the run
        directory (``osdi/…``), safe characters only.
    """

    num_threads: int = 1
    filetype: Literal["binary", "ascii"] = "binary"
    osdi: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if (
            isinstance(self.num_threads, bool)
            or not isinstance(self.num_threads, int)
            or not 1 <= self.num_threads <= 256
        ):
            raise NetlistError(
                f"num_threads must be an integer in 1..256, got {self.num_threads!r}"
            )
        if self.filetype not in ("binary", "ascii"):
            raise NetlistError(f"filetype must be 'binary' or 'ascii', got {self.filetype!r}")
        for p in self.osdi:
            if not SAFE_RELATIVE_PATH_RE.match(p):
                raise NetlistError(f"OSDI path {str(p)!r} has characters not allowed in a netlist")


def render_control(settings: ControlSettings) -> str:
    """The ``.control`` block for ``settings`` (ends with a newline)."""
    lines = [".control", f"set num_threads={settings.num_threads}"]
    lines.append(f"set filetype={settings.filetype}")
    lines.extend(f"pre_osdi {p}" for p in settings.osdi)
    lines.append(".endc")
    return "\n".join(lines) + "\n"


def assemble(body: str, settings: ControlSettings, *, body_checked: bool = False) -> str:
    """Join a body and our control block into the final deck text.

    The body is checked unless the caller already did (``body_checked``: a
    :class:`~spinspice.netlists.render.Deck` checks its immutable body when it is made).
    """
    if not body_checked:
        check_text(body, where="netlist body")
    control = render_control(settings)
    return body.rstrip("\n") + "\n" + control + ".end\n"


def library_closure(path: Path) -> list[Path]:
    """The library at ``path`` and every file it includes, each scanned, top file first.

    Raises
    ------
    NetlistError
        As :func:`check_model_library`.
    """
    seen: list[Path] = []
    check_model_library(path, _seen=seen)
    return seen


def check_model_library(path: Path, *, _depth: int = 0, _seen: list[Path] | None = None) -> None:
    """Scan a user model library (and the files it includes) before a deck may use it.

    Raises
    ------
    NetlistError
        If the file is unreadable, not ASCII text, or contains anything :func:`check_text`
        rejects (a ``.control`` block, ``*#`` lines, shell commands ...).
    """
    seen = _seen if _seen is not None else []
    path = path.resolve()
    if path in seen:
        return
    seen.append(path)
    if _depth > 8:
        raise NetlistError(f"model library {path}: includes nested more than 8 deep")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise NetlistError(f"cannot read model library {path}: {exc.strerror}") from None
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise NetlistError(f"model library {path} is not plain ASCII text") from None
    if "\r" in text:
        raise NetlistError(
            f"model library {path} has Windows (CRLF) line endings; convert it with dos2unix"
        )
    check_text(text, where=f"model library {path}", library=True)
    for line in text.split("\n"):
        words = line.split()
        if len(words) >= 2 and words[0].lower() in (".include", ".lib", ".inc"):
            ref = words[1].strip("'\"")
            target = (path.parent / ref).resolve()
            if target.is_file():
                check_model_library(target, _depth=_depth + 1, _seen=seen)
            elif words[0].lower() == ".include" or len(words) >= 3:
                raise NetlistError(f"model library {path} references missing file {ref!r}")
