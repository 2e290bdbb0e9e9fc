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

User-supplied model libraries are resolved by :func:`resolve_library`: every
``.include``/``.inc``/``.lib`` reference is followed as ngspice reads it (measured on
ngspice 46, ``tests/netlists/test_library_includes.py``):

* the directive is any first word starting with ``.inc`` or ``.lib`` (any case; ngspice
  accepts ``.includeXYZ``), after optional blanks; only ``.include``, ``.inc``, ``.lib``
  and ``.endl`` are accepted, the odd spellings are refused;
* the rest of the line loses its comment first: ``;`` and ``//`` anywhere outside quotes,
  ``$`` after a blank (``.include e.inc;x`` reads ``e.inc``; ``'e.inc;x'`` reads
  ``e.inc;x``); the file name is one quoted or unquoted word and must use the characters
  letters, digits, ``_ . / + - ~`` only (no ``//``), anything after it is refused;
* ``~`` and ``~user`` are expanded; absolute names are taken as they are; relative names are
  resolved against the directory of the including file (ngspice tries its working
  directory first — inside a run directory only our copies exist there);
* ``.lib FILE SECTION`` needs ``SECTION`` (case-insensitive) defined by ``.lib SECTION`` …
  ``.endl`` in FILE; a section definition inside another is refused;
* a reference that does not resolve to a regular file, an include cycle (a file that
  includes itself, directly or not) and a section that reaches itself are refused.

The job then carries *copies*: each file flat under ``lib/`` with every reference line
rewritten to the copy's bare name (resolved by ngspice next to the including copy), so the
simulator reads exactly the text that was checked, never the user's files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from spinspice.errors import NetlistError
from spinspice.netlists.values import SAFE_RELATIVE_PATH_RE

#: Longest offending line quoted in an error message, characters.
SHOWN_LINE: Final = 80
#: Most OpenMP threads a deck may ask ngspice for (as the --threads option).
MAX_THREADS: Final = 256
#: A `.lib NAME` line opening a section has two words.
LIB_SECTION_WORDS: Final = 2

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
    {
        ".endl",
        ".param",
        ".option",
        ".global",
        ".inc",
        ".if",
        ".elseif",
        ".else",
        ".endif",
        ".func",
        ".csparam",
    }
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
    shown = line if len(line) <= SHOWN_LINE else line[: SHOWN_LINE - 3] + "..."
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
        if library:
            # Outside .control and '*#' lines ngspice runs no command, so a library line
            # whose first word happens to read 'cd' or 'source...' is an element (a
            # capacitor CD, a switch SOURCE1): foundry kits use every element letter.
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
            or not 1 <= self.num_threads <= MAX_THREADS
        ):
            raise NetlistError(
                f"num_threads must be an integer in 1..{MAX_THREADS}, got {self.num_threads!r}"
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


#: Characters allowed in a file name of an include line (after quote removal).
_INCLUDE_NAME_RE: Final = re.compile(r"^[A-Za-z0-9_./+~-]+$")
#: Section names of ``.lib`` definitions and references.
_SECTION_RE: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
#: Limits of one library closure (a full foundry kit is a few hundred files, ~100 MB).
MAX_LIBRARY_FILES: Final = 4000
MAX_LIBRARY_BYTES: Final = 512 * 1024 * 1024
MAX_INCLUDE_DEPTH: Final = 32


def strip_inline_comment(rest: str) -> str:
    """``rest`` of a SPICE line without its ngspice end-of-line comment.

    ``;`` and ``//`` start a comment anywhere outside quotes, ``$`` after a blank (or at
    the start). Quotes (single or double) protect their content.
    """
    quote = ""
    for i, ch in enumerate(rest):
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        else:
            dollar = ch == "$" and (i == 0 or rest[i - 1] in " \t")
            if ch == ";" or dollar or rest.startswith("//", i):
                return rest[:i]
    return rest


def _words(rest: str, where: str, lineno: int, line: str) -> list[str]:
    """Split the argument part of an include line into words, honouring quotes."""
    words: list[str] = []
    i, n = 0, len(rest)
    while i < n:
        ch = rest[i]
        if ch in " \t":
            i += 1
            continue
        if ch in "'\"":
            j = rest.find(ch, i + 1)
            if j < 0:
                raise NetlistError(f"{where} line {lineno}: unbalanced quote: {line!r}")
            words.append(rest[i + 1 : j])
            i = j + 1
            if i < n and rest[i] not in " \t":
                raise NetlistError(f"{where} line {lineno}: text glued to a quoted name: {line!r}")
            continue
        j = i
        while j < n and rest[j] not in " \t'\"":
            j += 1
        words.append(rest[i:j])
        i = j
    return words


@dataclass(frozen=True, slots=True)
class _Ref:
    """One reference line of a library file."""

    lineno: int
    kind: Literal["include", "lib"]
    target: Path
    section: str | None  # lower case, for kind == "lib"
    in_section: str | None  # the section definition the line sits in (lower case)


@dataclass(slots=True)
class _Parsed:
    path: Path
    lines: list[str]
    refs: list[_Ref]
    sections: dict[str, tuple[int, int]]  # name -> (first, last) line numbers
    canonical: dict[int, str] = field(default_factory=dict)  # section lines, rewritten


@dataclass(frozen=True, slots=True)
class LibraryFile:
    """One checked library file as a job carries it.

    Attributes
    ----------
    path:
        The user's file (resolved), for messages and provenance.
    name:
        Bare file name of the copy (the job stores it as ``lib/<name>``).
    text:
        The checked text with every reference line rewritten to a copy's bare name.
    """

    path: Path
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class LibraryBundle:
    """A model library with everything it references, checked; top file first."""

    files: tuple[LibraryFile, ...]
    sections: frozenset[str]

    @property
    def top(self) -> LibraryFile:
        """The library file the deck references."""
        return self.files[0]


def _resolve_name(name: str, base: Path, where: str, lineno: int, line: str) -> Path:
    if not name:
        raise NetlistError(f"{where} line {lineno}: include file name missing: {line!r}")
    if not _INCLUDE_NAME_RE.match(name) or "//" in name:
        raise NetlistError(
            f"{where} line {lineno}: include file name {name!r} has characters spinspice "
            "does not resolve (use letters, digits and _ . / + - ~)"
        )
    if name.startswith("~"):
        expanded = os.path.expanduser(name)
        if expanded.startswith("~"):
            raise NetlistError(f"{where} line {lineno}: cannot expand {name!r}")
        p = Path(expanded)
    else:
        p = Path(name)
    if not p.is_absolute():
        p = base / p
    try:
        target = p.resolve(strict=True)
    except (OSError, RuntimeError):
        raise NetlistError(
            f"{where} line {lineno}: cannot find include file {name!r} (looked for {p})"
        ) from None
    if not target.is_file():
        raise NetlistError(f"{where} line {lineno}: {name!r} ({target}) is not a regular file")
    return target


def _parse_library_file(path: Path) -> _Parsed:
    where = f"model library {path}"
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
    check_text(text, where=where, library=True)
    lines = text.split("\n")
    refs: list[_Ref] = []
    sections: dict[str, tuple[int, int]] = {}
    canonical: dict[int, str] = {}
    current: tuple[str, int] | None = None
    previous_ref = False
    for lineno, line in enumerate(lines, start=1):
        stripped = line.lstrip(" \t")
        if previous_ref and stripped.startswith("+"):
            raise NetlistError(f"{where} line {lineno}: continuation of an include line")
        previous_ref = False
        low = stripped.lower()
        if not (low.startswith(".inc") or low.startswith(".lib") or low.startswith(".endl")):
            continue
        word = low.split(None, 1)[0] if low.split() else low
        head = re.match(r"\.[A-Za-z_]*", low)
        directive = head.group(0) if head else word
        if directive not in (".include", ".inc", ".lib", ".endl"):
            raise NetlistError(
                f"{where} line {lineno}: directive {directive!r} is not one spinspice reads "
                f"(use .include, .inc, .lib, .endl): {line!r}"
            )
        rest = stripped[len(directive) :]
        if rest and rest[0] not in " \t":
            raise NetlistError(f"{where} line {lineno}: no blank after {directive}: {line!r}")
        words = _words(strip_inline_comment(rest), where, lineno, line)
        if directive == ".endl":
            if current is None:
                raise NetlistError(f"{where} line {lineno}: .endl without .lib section")
            if len(words) > 1 or (words and words[0].lower() != current[0]):
                raise NetlistError(
                    f"{where} line {lineno}: .endl does not close section {current[0]!r}"
                )
            sections[current[0]] = (current[1], lineno)
            canonical[lineno] = f".endl {current[0]}"
            current = None
            continue
        previous_ref = True
        if not words:
            raise NetlistError(f"{where} line {lineno}: {directive} file name missing: {line!r}")
        if directive == ".lib" and len(words) == 1:
            name = words[0].lower()
            if current is not None:
                raise NetlistError(
                    f"{where} line {lineno}: section {name!r} starts inside section {current[0]!r}"
                )
            if not _SECTION_RE.match(name):
                raise NetlistError(f"{where} line {lineno}: bad section name {words[0]!r}")
            if name in sections:
                raise NetlistError(f"{where} line {lineno}: section {name!r} defined twice")
            current = (name, lineno)
            canonical[lineno] = f".lib {name}"
            previous_ref = False
            continue
        in_section = current[0] if current is not None else None
        if directive == ".lib":
            if len(words) != LIB_SECTION_WORDS:
                raise NetlistError(
                    f"{where} line {lineno}: .lib takes a section name or a file and a "
                    f"section: {line!r}"
                )
            if not _SECTION_RE.match(words[1]):
                raise NetlistError(f"{where} line {lineno}: bad section name {words[1]!r}")
            target = _resolve_name(words[0], path.parent, where, lineno, line)
            refs.append(_Ref(lineno, "lib", target, words[1].lower(), in_section))
        else:
            if len(words) != 1:
                raise NetlistError(
                    f"{where} line {lineno}: {directive} takes exactly one file name: {line!r}"
                )
            target = _resolve_name(words[0], path.parent, where, lineno, line)
            refs.append(_Ref(lineno, "include", target, None, in_section))
    if current is not None:
        raise NetlistError(f"{where}: section {current[0]!r} is not closed with .endl")
    return _Parsed(path, lines, refs, sections, canonical)


def resolve_library(path: Path, section: str | None = None) -> LibraryBundle:
    """Resolve, check and copy-rewrite the library at ``path`` (see the module docstring).

    Parameters
    ----------
    path:
        The library file the deck references.
    section:
        The section the deck loads (``.lib path section``), or None (``.include path``).

    Raises
    ------
    NetlistError
        Naming the file and line of the first reference that does not resolve, the first
        cycle, missing section, or text :func:`check_text` refuses.
    """
    top = Path(path).expanduser().resolve()
    if not top.is_file():
        raise NetlistError(f"model library {top} does not exist or is not a regular file")
    parsed: dict[Path, _Parsed] = {}
    order: list[Path] = []
    total = 0
    pending = [top]
    while pending:
        p = pending.pop(0)
        if p in parsed:
            continue
        if len(parsed) >= MAX_LIBRARY_FILES:
            raise NetlistError(f"model library {top}: more than {MAX_LIBRARY_FILES} files")
        info = _parse_library_file(p)
        total += sum(len(ln) + 1 for ln in info.lines)
        if total > MAX_LIBRARY_BYTES:
            raise NetlistError(f"model library {top}: more than {MAX_LIBRARY_BYTES} bytes")
        parsed[p] = info
        order.append(p)
        pending.extend(r.target for r in info.refs if r.target not in parsed)
    # Every .lib FILE SECTION names a section FILE defines.
    for info in parsed.values():
        for r in info.refs:
            if r.kind == "lib" and r.section not in parsed[r.target].sections:
                raise NetlistError(
                    f"model library {info.path} line {r.lineno}: section {r.section!r} is not "
                    f"defined in {r.target}"
                )
    if section is not None and section.lower() not in parsed[top].sections:
        known = ", ".join(sorted(parsed[top].sections)) or "none"
        raise NetlistError(f"model library {top} has no section {section!r} (sections: {known})")
    _check_cycles(parsed, top, section.lower() if section is not None else None)
    names = _flat_names(order)
    files = tuple(LibraryFile(p, names[p], _rewrite(parsed[p], names)) for p in order)
    return LibraryBundle(files, frozenset(parsed[top].sections))


def _check_cycles(parsed: dict[Path, _Parsed], top: Path, section: str | None) -> None:
    """Refuse include cycles (file level, as ngspice reads every include of a file) and
    section references that reach themselves."""
    # 1. .include edges anywhere in a file: ngspice inlines them while reading.
    state: dict[Path, int] = {}

    def visit_file(p: Path, stack: list[Path]) -> None:
        if len(stack) > MAX_INCLUDE_DEPTH:
            raise NetlistError(
                f"model library {p}: includes nested more than {MAX_INCLUDE_DEPTH} deep"
            )
        state[p] = 1
        for r in parsed[p].refs:
            if r.kind != "include":
                continue
            if state.get(r.target) == 1:
                chain = " -> ".join(str(x) for x in [*stack, p, r.target])
                raise NetlistError(f"include cycle: {chain}")
            if r.target not in state:
                visit_file(r.target, [*stack, p])
        state[p] = 2

    for p in parsed:
        if p not in state:
            visit_file(p, [])

    # 2. Section expansion: node (file, section or None = whole file).
    Node = tuple[Path, str | None]
    done: set[Node] = set()

    def edges(node: Node) -> list[Node]:
        p, sec = node
        out: list[Node] = []
        for r in parsed[p].refs:
            if sec is not None and r.in_section != sec:
                continue
            out.append((r.target, r.section if r.kind == "lib" else None))
        return out

    def visit(node: Node, stack: list[Node]) -> None:
        if node in stack:
            chain = " -> ".join(f"{p.name}[{s or '*'}]" for p, s in [*stack, node])
            raise NetlistError(f"library section cycle: {chain}")
        if node in done:
            return
        if len(stack) > MAX_INCLUDE_DEPTH:
            raise NetlistError(
                f"model library {node[0]}: references nested more than {MAX_INCLUDE_DEPTH} deep"
            )
        for nxt in edges(node):
            visit(nxt, [*stack, node])
        done.add(node)

    visit((top, section), [])
    for p, info in parsed.items():
        for sec in info.sections:
            visit((p, sec), [])


def _flat_names(order: list[Path]) -> dict[Path, str]:
    """A unique, safe bare name per file (the top file keeps its own name if safe)."""
    names: dict[Path, str] = {}
    used: set[str] = set()
    for i, p in enumerate(order):
        base = re.sub(r"[^A-Za-z0-9_.+-]", "_", p.name).lstrip(".") or "lib"
        if not re.match(r"^[A-Za-z0-9_]", base):
            base = "l" + base
        name = base
        if name.lower() in used:
            stem, dot, suffix = base.partition(".")
            name = f"{stem}-{i}{dot}{suffix}"
        used.add(name.lower())
        names[p] = name
    return names


def _rewrite(info: _Parsed, names: dict[Path, str]) -> str:
    """The file's text with each reference line pointing at a copy's bare name."""
    if not info.refs and not info.canonical:
        return "\n".join(info.lines)
    lines = list(info.lines)
    for lineno, text in info.canonical.items():
        lines[lineno - 1] = text
    for r in info.refs:
        target = names[r.target]
        if r.kind == "include":
            lines[r.lineno - 1] = f".include '{target}'"
        else:
            lines[r.lineno - 1] = f".lib '{target}' {r.section}"
    return "\n".join(lines)


def library_closure(path: Path) -> list[Path]:
    """The library at ``path`` and every file it references, each checked, top file first.

    Raises
    ------
    NetlistError
        As :func:`resolve_library`.
    """
    return [f.path for f in resolve_library(path).files]


def check_model_library(path: Path) -> None:
    """Check a user model library and everything it references (:func:`resolve_library`).

    Raises
    ------
    NetlistError
        If a file is unreadable, not ASCII text, contains anything :func:`check_text`
        rejects (a ``.control`` block, ``*#`` lines ...), or a reference does not resolve.
    """
    resolve_library(path)
