"""Rendering and the post-render guard: injection attempts never reach a deck."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinspice.errors import NetlistError
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    LibraryRef,
    OperatingPoint,
    Param,
    Pulse,
    Pwl,
    Resistor,
    Save,
    Subcircuit,
    SubcktInstance,
    Transient,
    VoltageSource,
)
from spinspice.netlists.guard import (
    ControlSettings,
    assemble,
    check_model_library,
    check_text,
    render_control,
)
from spinspice.netlists.job import make_job


def divider(**changes: object) -> Circuit:
    sub = Subcircuit(
        name="half",
        ports=("a", "b"),
        elements=(Resistor("R1", "a", "m", Param("r")), Resistor("R2", "m", "b", 1e3)),
        params={"r": 1e3},
    )
    kwargs: dict[str, object] = {
        "title": "divider",
        "elements": (
            VoltageSource("V1", "in", GROUND, Dc(1.0)),
            SubcktInstance("X1", ("in", GROUND), "half", {"r": 3e3}),
        ),
        "subcircuits": (sub,),
        "analyses": (OperatingPoint(),),
        "saves": (Save("v", ("x1", "m")), Save("i", ("v1",))),
    }
    kwargs.update(changes)
    return Circuit(**kwargs)  # type: ignore[arg-type]


def test_render_golden_divider() -> None:
    text = make_job(divider(), key="test").deck.text()
    golden = Path(__file__).with_name("golden") / "divider.cir"
    assert text.replace("spinspice 0.1.0", "spinspice VERSION") == golden.read_text()


def test_every_deck_sets_klu_and_our_control_block() -> None:
    text = make_job(divider(), key="test").deck.text(num_threads=2)
    assert ".options klu" in text.splitlines()[2]
    assert text.count(".control") == 1
    assert "set num_threads=2" in text
    assert text.endswith(".endc\n.end\n")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Resistor("R1\n*# shell touch /tmp/pwned", "a", "b", 1.0),
        lambda: Resistor("R1", "a\nb", "b", 1.0),
        lambda: Resistor("R1", "a", "b *# shell id", 1.0),
        lambda: Resistor("R1", "a", "b", "1Meg"),  # type: ignore[arg-type]
        lambda: Resistor("R1", "a", "b", float("nan")),
        lambda: Resistor("C1", "a", "b", 1.0),  # wrong element letter
        lambda: VoltageSource("V1", "a", "0", Dc("1.0\n.control\nshell id\n.endc")),  # type: ignore[arg-type]
        lambda: SubcktInstance("X1", ("a",), "half", {"r\n.control": 1.0}),
        lambda: SubcktInstance("X1", ("a",), "half", {"r": ".control"}),  # type: ignore[dict-item]
        lambda: Pwl(((0.0, 1.0), (0.0, 2.0))),
        lambda: Pulse(0, 1, 0, 0, 1e-9, 1e-9, 1e-8),  # zero rise time
        lambda: Circuit(title="x\n.control", elements=(), analyses=(OperatingPoint(),)),
        lambda: Save("v", ("a)", "b")),
    ],
)
def test_injection_rejected_at_construction(make: object) -> None:
    with pytest.raises(NetlistError):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    "body",
    [
        "t\n*# shell id\n.end",
        "t\n  *#shell id",
        "t\n.control\nshell id\n.endc",
        "t\nshell id",
        "t\npre_osdi /tmp/evil.osdi",
        "t\nsource /tmp/evil.cir",
        "t\n.param x=1",
        "t\nR1 a b 1\r\n",
        "t\nR1 a b 1\x00",
        "t\nR1 a b 1 é",
        "t\n.endc",
    ],
)
def test_guard_rejects_unsafe_text(body: str) -> None:
    with pytest.raises(NetlistError):
        check_text(body)


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=200))
def test_guard_never_lets_star_hash_or_control_through(text: str) -> None:
    try:
        check_text(text)
    except NetlistError:
        return
    for line in text.split("\n"):
        s = line.lstrip()
        assert not s.startswith("*#")
        assert not s.lower().startswith((".control", ".endc", "shell", "pre_", "source"))
        assert "\r" not in line and "\x00" not in line


def test_control_block_is_ours_only() -> None:
    block = render_control(ControlSettings(num_threads=3))
    assert block.splitlines() == [
        ".control",
        "set num_threads=3",
        "set filetype=binary",
        ".endc",
    ]
    with pytest.raises(NetlistError):
        ControlSettings(num_threads=0)
    with pytest.raises(NetlistError):
        ControlSettings(osdi=("osdi/a b.osdi",))
    with pytest.raises(NetlistError):
        ControlSettings(osdi=("../a.osdi",))
    with pytest.raises(NetlistError):
        assemble("t\n.control\nshell id\n.endc\n", ControlSettings())


def test_model_library_with_control_block_rejected(tmp_path: Path) -> None:
    lib = tmp_path / "evil.lib"
    lib.write_text(".model n1 nmos level=1\n.control\nshell touch pwned\n.endc\n")
    with pytest.raises(NetlistError, match=r"\.control"):
        check_model_library(lib)
    nested = tmp_path / "top.lib"
    nested.write_text(".lib tt\n.include 'evil.lib'\n.endl tt\n")
    with pytest.raises(NetlistError):
        check_model_library(nested)
    with pytest.raises(NetlistError):
        make_job(divider(libraries=(LibraryRef(nested, "tt"),)), key="test")
    crlf = tmp_path / "crlf.lib"
    crlf.write_bytes(b".model n1 nmos level=1\r\n")
    with pytest.raises(NetlistError, match="CRLF"):
        check_model_library(crlf)


def test_library_path_with_unsafe_characters_rejected(tmp_path: Path) -> None:
    d = tmp_path / "we ird"
    d.mkdir()
    lib = d / "m.lib"
    lib.write_text(".model n1 nmos level=1\n")
    with pytest.raises(NetlistError, match="characters not allowed"):
        LibraryRef(lib, "tt")


def test_transient_and_waveforms_render() -> None:
    c = divider(
        elements=(
            VoltageSource("V1", "in", GROUND, Pulse(0.0, 1.0, 0.0, 1e-11, 1e-11, 1e-9, 2e-9)),
            VoltageSource("V2", "in2", GROUND, Pwl(((0.0, 0.0), (1e-9, 0.5)))),
            Resistor("R1", "in", "in2", 1e3),
        ),
        subcircuits=(),
        saves=(),
        analyses=(Transient(1e-11, 2e-9),),
    )
    text = make_job(c, key="test").deck.text()
    assert "V1 in 0 PULSE(0.0e+00 1.0e+00 0.0e+00 1.0e-11 1.0e-11 1.0e-09 2.0e-09)" in text
    assert "V2 in2 0 PWL(0.0e+00 0.0e+00 1.0e-09 5.0e-01)" in text
    assert ".tran 1.0e-11 2.0e-09" in text
