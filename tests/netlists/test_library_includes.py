"""Model-library includes are resolved as ngspice resolves them, and the simulator reads
only the checked copies (issue 12, class 1).

The property tests generate include lines (directive case, quotes, blanks, end-of-line
comments, relative/absolute/``~`` names, ``.lib`` sections, nesting). One of them runs
plain ngspice on the *original* files and asserts that whenever spinspice accepts a line,
ngspice read the same file spinspice resolved, and the job's copies give the same result.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinspice.analysis.runner import NgspiceSubprocess, run_one
from spinspice.errors import NetlistError
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    LibraryRef,
    OperatingPoint,
    Save,
    VoltageSource,
)
from spinspice.netlists.guard import resolve_library, strip_inline_comment
from spinspice.netlists.job import make_job

#: Resistor value of each decoy file, ohm (the current tells which file ngspice read).
DECOYS = {
    "e.inc": 1000.0,
    "e.inc;x": 2000.0,
    "E.INC": 4000.0,
    "sub/e.inc": 8000.0,
    "sub/deep.inc": 3000.0,
    "e.inc$x": 6000.0,
    "home/h.inc": 5000.0,
}
SECTION_FILE = """* corner file
.lib a
.include sub/n.inc
.endl a
.lib b
R1 a 0 1500
.endl b
"""


def _tree(d: Path) -> Path:
    """Decoy files under ``d``; returns the fake home directory."""
    for name, r in DECOYS.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"R1 a 0 {r:g}\n")
    (d / "sub" / "n.inc").write_text(".include deep.inc\n")
    (d / "s.lib").write_text(SECTION_FILE)
    (d / "S.LIB").write_text(SECTION_FILE.replace("1500", "1200"))
    (d / "home" / "s.lib").write_text(
        SECTION_FILE.replace("1500", "1100").replace(".include sub/n.inc", "R1 a 0 900")
    )
    (d / "evil.inc").write_text(".control\nshell touch pwned\n.endc\n")
    return d / "home"


def _circuit(lib: Path, section: str | None = None) -> Circuit:
    return Circuit(
        title="include probe",
        elements=(VoltageSource("V1", "a", GROUND, Dc(1.0)),),
        analyses=(OperatingPoint(),),
        libraries=(LibraryRef(lib, section),),
        saves=(Save("i", ("v1",)),),
    )


def _ngspice_current(d: Path, home: Path) -> float | None:
    """Run plain ngspice on ``d/top.cir`` (which includes the user's original files)."""
    deck = d / "top.cir"
    deck.write_text(
        "probe\nV1 a 0 1\n.include lib.lib\n.op\n.control\nrun\nprint i(v1)\n.endc\n.end\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPICE_")}
    env["HOME"] = str(home)
    proc = subprocess.run(
        ["ngspice", "-b", deck.name],
        cwd=d,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=30,
        env=env,
        check=False,
    )
    m = re.search(r"i\(v1\) = (\S+)", proc.stdout)
    if m is None or "rror" in proc.stdout + proc.stderr:
        return None
    return float(m.group(1))


# ----------------------------------------------------------------- generated lines

_INCLUDE_NAMES = [
    "e.inc",
    "E.INC",
    "e.inc;x",
    "sub/e.inc",
    "./e.inc",
    "sub/../e.inc",
    "ABS/e.inc",
    "ABS/sub/e.inc",
    "~/h.inc",
    "missing.inc",
    "sub",
    "sub//e.inc",
    "e.inc$x",
    "evil.inc",
]
_LIB_NAMES = ["s.lib", "S.LIB", "ABS/s.lib", "~/s.lib", "missing.lib"]


@st.composite
def include_lines(draw: st.DrawFn) -> str:
    lead = draw(st.sampled_from(["", " ", "\t"]))
    sep = draw(st.sampled_from([" ", "  ", "\t"]))
    quote = draw(st.sampled_from(["", "'", '"']))
    trail = draw(st.sampled_from(["", " ", ";c", " ;c", " $ c", "//c", " extra", "$c"]))
    if draw(st.booleans()):
        directive = draw(st.sampled_from([".include", ".INCLUDE", ".inc", ".Inc", ".includex"]))
        name = draw(st.sampled_from(_INCLUDE_NAMES))
        return f"{lead}{directive}{sep}{quote}{name}{quote}{trail}"
    directive = draw(st.sampled_from([".lib", ".LIB", ".Lib"]))
    name = draw(st.sampled_from(_LIB_NAMES))
    section = draw(st.sampled_from(["a", "A", "b", "nosuch"]))
    return f"{lead}{directive}{sep}{quote}{name}{quote}{sep}{section}{trail}"


def _write_lib(d: Path, line: str) -> Path:
    lib = d / "lib.lib"
    lib.write_text("* generated\n" + line.replace("ABS/", f"{d}/") + "\n")
    return lib


_REF_LINE = re.compile(r"^\.(include '([^']+)'|lib '([^']+)' ([a-z0-9_]+))$")
_SECTION_LINE = re.compile(r"^\.(lib|endl) [a-z0-9_]+$")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=include_lines())
def test_no_generated_reference_reaches_ngspice_unresolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    d = tmp_path / "t"
    d.mkdir(exist_ok=True)
    home = _tree(d)
    monkeypatch.setenv("HOME", str(home))
    lib = _write_lib(d, line)
    try:
        bundle = resolve_library(lib)
    except NetlistError:
        return
    names = {f.name for f in bundle.files}
    for f in bundle.files:
        assert "evil" not in f.text and ".control" not in f.text
        for ln in f.text.split("\n"):
            low = ln.lstrip().lower()
            if low.startswith(".inc") or (low.startswith(".lib") and len(low.split()) > 2):
                m = _REF_LINE.match(ln)
                assert m is not None, ln  # every reference rewritten to our canonical form
                assert (m.group(2) or m.group(3)) in names  # ... naming a copy
            elif low.startswith((".lib", ".endl")):
                assert _SECTION_LINE.match(ln), ln


@pytest.mark.ngspice
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=include_lines())
def test_accepted_lines_read_what_ngspice_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    """Differential: spinspice accepts a line only if plain ngspice reads the same file."""
    _differential(tmp_path / "t", monkeypatch, line)


def _differential(d: Path, monkeypatch: pytest.MonkeyPatch, line: str) -> bool:
    d.mkdir(exist_ok=True)
    home = _tree(d)
    monkeypatch.setenv("HOME", str(home))
    lib = _write_lib(d, line)
    try:
        job = make_job(_circuit(lib), key="test/include")
    except NetlistError:
        return False  # refusing is always allowed
    expected = _ngspice_current(d, home)
    assert expected is not None, f"spinspice accepted {line!r} but ngspice could not read it"
    got = run_one(NgspiceSubprocess(), job).vector("i(v1)")[0]
    assert got == pytest.approx(expected, rel=1e-5), line  # print shows 6 digits
    return True


@pytest.mark.ngspice
@pytest.mark.parametrize(
    "line",
    [
        ".INC e.inc;x",
        "\t.include 'sub/e.inc' $ c",
        ".include 'sub/deep.inc'",
        ".include E.INC//c",
        ".lib ~/s.lib B",
        ".lib ~/s.lib a",
        '.LIB "ABS/s.lib" a ;c',
        ".lib S.LIB b",
        ".include ./sub/../e.inc",
        ".include ~/h.inc",
    ],
)
def test_ordinary_lines_accepted_and_read_like_ngspice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    assert _differential(tmp_path, monkeypatch, line)


# ----------------------------------------------------------------- the findings


def test_semicolon_comment_hole_closed(tmp_path: Path) -> None:
    """`.include e.inc;x`: ngspice reads e.inc (the ';' starts a comment); so do we."""
    (tmp_path / "e.inc").write_text(".control\nshell id\n.endc\n")
    (tmp_path / "e.inc;x").write_text("R1 a 0 1k\n")
    lib = tmp_path / "m.lib"
    lib.write_text(".include e.inc;x\n")
    with pytest.raises(NetlistError, match=r"\.control"):
        resolve_library(lib)
    assert strip_inline_comment(" e.inc;x") == " e.inc"
    assert strip_inline_comment(" 'e.inc;x'") == " 'e.inc;x'"
    assert strip_inline_comment(" e.inc $ c") == " e.inc "
    assert strip_inline_comment(" e.inc//c") == " e.inc"


@pytest.mark.parametrize(
    ("files", "match"),
    [
        ({"m.lib": ".include m.lib\n"}, "include cycle"),
        ({"m.lib": ".include b.inc\n", "b.inc": ".inc 'm.lib'\n"}, "include cycle"),
        ({"m.lib": ".lib a\n.lib m.lib a\n.endl a\n"}, "section cycle"),
        ({"m.lib": ".lib a\n.lib m.lib b\n.endl\n.lib b\n.lib m.lib a\n.endl\n"}, "section cycle"),
        ({"m.lib": ".include nothere.inc\n"}, "cannot find include file"),
        ({"m.lib": ".include sub\n", "sub/x": "\n"}, "not a regular file"),
        ({"m.lib": ".lib x.lib tt\n", "x.lib": ".lib ff\n.endl ff\n"}, "section 'tt'"),
        ({"m.lib": ".include\n"}, "name missing"),
        ({"m.lib": ".include 'e.inc\n"}, "unbalanced quote"),
        ({"m.lib": ".include a b\n"}, "exactly one file name"),
        ({"m.lib": ".includex e.inc\n"}, "not allowed"),
        ({"m.lib": '.include "e inc"\n'}, "characters"),
        ({"m.lib": ".lib a\n.lib b\n.endl b\n.endl a\n"}, "inside section"),
        ({"m.lib": ".lib a\nR1 1 0 1\n"}, "not closed"),
    ],
)
def test_refused_references(tmp_path: Path, files: dict[str, str], match: str) -> None:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    with pytest.raises(NetlistError, match=match):
        resolve_library(tmp_path / "m.lib")


def test_section_of_same_file_and_case(tmp_path: Path) -> None:
    lib = tmp_path / "m.lib"
    lib.write_text(".LIB TT\n.lib 'm.lib' Base\n.ENDL tt\n.lib base\nR1 a 0 1k\n.endl\n")
    bundle = resolve_library(lib, "tt")
    assert bundle.sections == {"tt", "base"}
    assert ".lib 'm.lib' base" in bundle.top.text
    with pytest.raises(NetlistError, match="no section 'ff'"):
        resolve_library(lib, "ff")


@pytest.mark.ngspice
def test_absolute_and_tilde_includes_point_at_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Absolute and ~ references are rewritten to the job's copies; swapping the user's
    file after the check changes nothing the simulator reads."""
    home = tmp_path / "home"
    (home / "pdk").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    (home / "pdk" / "r.inc").write_text("R1 a 0 2k\n")
    other = tmp_path / "elsewhere" / "r.inc"
    other.parent.mkdir()
    other.write_text("R2 a 0 2k\n")
    lib = tmp_path / "m.lib"
    lib.write_text(f'.include ~/pdk/r.inc\n.INCLUDE "{other}"\n')
    job = make_job(_circuit(lib), key="test/abs")
    texts = {f.name: f.read_bytes().decode() for f in job.files}
    assert set(texts) == {"lib/m.lib", "lib/r.inc", "lib/r-2.inc"}
    assert str(tmp_path) not in "".join(texts.values()) and "~" not in texts["lib/m.lib"]
    # swap both the top file and an included one after the check: nothing changes
    (home / "pdk" / "r.inc").write_text(".control\nshell touch pwned\n.endc\n")
    lib.write_text(".control\nshell touch pwned\n.endc\n")
    res = run_one(NgspiceSubprocess(), job)
    assert res.vector("i(v1)")[0] == pytest.approx(-1e-3)  # 2k || 2k
