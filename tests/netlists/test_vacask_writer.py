"""The VACASK writer: what it maps, what it refuses, and its text guard (no simulator)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinspice.errors import NetlistError
from spinspice.netlists.circuit import (
    GROUND,
    Capacitor,
    Circuit,
    Dc,
    LibraryRef,
    ModelCard,
    Mosfet,
    OperatingPoint,
    Options,
    Pulse,
    Pwl,
    Resistor,
    Save,
    Subcircuit,
    SubcktInstance,
    TemplateSubcircuit,
    Transient,
    VoltageSource,
)
from spinspice.netlists.job import make_job
from spinspice.netlists.technology import MosfetTechnology, default_library_path
from spinspice.netlists.vacask import (
    bundled_models,
    check_vacask_text,
    ngspice_vector_name,
    write_vacask,
)


def _rc(**kw: object) -> Circuit:
    base: dict[str, object] = {
        "title": "rc",
        "elements": (
            VoltageSource("V1", "in", GROUND, Pwl(((0.0, 0.0), (1e-9, -1.0)))),
            Resistor("R1", "in", "Out", 1e3),
            Capacitor("C1", "Out", GROUND, 1e-15, ic_V=0.5),
        ),
        "analyses": (OperatingPoint(), Transient(1e-12, 2e-9)),
        "saves": (Save("v", ("out",)), Save("i", ("v1",))),
    }
    base.update(kw)
    return Circuit(**base)  # type: ignore[arg-type]


def test_basic_elements_analyses_and_options_are_mapped() -> None:
    c = _rc(options=Options(method="gear", numeric={"reltol": 1e-6, "itl4": 50, "rshunt": 1e12}),
            temperature_C=85.0)
    deck = write_vacask(make_job(c, key="t/rc"))
    text = deck.text
    assert 'v1 (in 0) spinspice_vsrc type="pwl" wave=[0.0e+00, 0.0e+00, 1.0e-09, -1.0e+00]' in text
    assert "r1 (in out) spinspice_res r=1.0e+03" in text  # names lower-cased
    assert "c1 (out 0) spinspice_cap c=1.0e-15" in text and "ic=" not in text  # ngspice: no uic
    assert 'tran_method="gear2"' in text and "temp=8.5e+01" in text
    assert "reltol=1.0e-06" in text and "tran_itl=50" in text and "gshunt=1.0e-12" in text
    assert 'save v("out") i("v1")' in text
    assert "analysis op1 op" in text
    # ngspice's default TMAX: min(TSTEP, (TSTOP - TSTART) / 50)
    assert "analysis tran1 tran step=1.0e-12 stop=2.0e-09 maxstep=1.0e-12" in text
    assert deck.saves == ("v(out)", "i(v1)")
    assert deck.vector_name("v1:flow(br)") == "i(v1)"


def test_pulse_and_subcircuit_parameters() -> None:
    sub = Subcircuit("cell", ("a", "b"), (Resistor("R1", "a", "b", 1.0),), params={"rr": 2.0})
    from spinspice.netlists.circuit import Param

    sub = Subcircuit("cell", ("a", "b"), (Resistor("R1", "a", "b", Param("rr")),),
                     params={"rr": 2.0})
    c = Circuit(
        title="p",
        elements=(
            VoltageSource("V1", "a", GROUND, Pulse(0.0, 1.0, 1e-10, 1e-11, 2e-11, 5e-10, 1e-9)),
            SubcktInstance("X1", ("a", GROUND), "cell", {"rr": 5.0}),
        ),
        subcircuits=(sub,),
        analyses=(OperatingPoint(),),
    )
    text = write_vacask(make_job(c, key="t/p")).text
    assert ('type="pulse" val0=0.0e+00 val1=1.0e+00 delay=1.0e-10 rise=1.0e-11 fall=2.0e-11 '
            "width=5.0e-10 period=1.0e-09") in text
    assert "subckt cell (a b)\n  parameters rr=2.0e+00\n  r1 (a b) spinspice_res r=rr\nends" in text
    assert "x1 (a 0) cell rr=5.0e+00" in text
    assert "save default" in text


def test_bundled_library_becomes_sp_bsim4v8_cards() -> None:
    cards = {m.name: m for m in bundled_models("ff")}
    assert set(cards) == {"nmos28", "pmos28"}
    n, p = cards["nmos28"], cards["pmos28"]
    assert (n.module, n.type_sign, n.version) == ("sp_bsim4v8", 1, "4.8")
    assert p.type_sign == -1
    params = dict(n.params)
    assert "level" not in params and "version" not in params
    assert params["vth0"] == pytest.approx(0.210) and params["u0"] == pytest.approx(0.0385)
    assert dict(p.params)["vth0"] == pytest.approx(-0.210)
    with pytest.raises(NetlistError, match="no corner"):
        bundled_models("sf")


def _mos_circuit(lib: Path) -> Circuit:
    return Circuit(
        title="m",
        elements=(
            VoltageSource("V1", "d", GROUND, Dc(1.0)),
            Mosfet("M1", "d", "d", GROUND, GROUND, "nmos28", 6e-7, 3e-8),
        ),
        libraries=(LibraryRef(lib, "tt"),),
        analyses=(OperatingPoint(),),
    )


def test_a_copy_of_the_bundled_library_is_accepted_a_user_library_is_refused(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "copy.lib"
    copy.write_bytes(default_library_path().read_bytes())
    text = write_vacask(make_job(_mos_circuit(copy), key="t/m")).text
    assert 'model nmos28 sp_bsim4v8 (type=1 version="4.8"' in text
    assert 'load "spice/bsim4v8.osdi"' in text
    user = tmp_path / "foundry.lib"
    user.write_text(default_library_path().read_text().replace("vth0=0.250", "vth0=0.300"))
    with pytest.raises(NetlistError, match="Verilog-A compiled to OSDI"):
        write_vacask(make_job(_mos_circuit(user), key="t/m"))
    assert MosfetTechnology.default().library == default_library_path()


def test_level1_card_maps_to_sp_mos1_other_builtins_are_refused() -> None:
    base = _rc()
    sw = ModelCard("swn", "nmos", {"level": 1.0, "vto": 0.0, "kp": 1.0})
    c = Circuit(title="s", elements=(*base.elements,
                                     Mosfet("M1", "out", "in", GROUND, GROUND, "swn", 1e-6, 1e-6)),
                models=(sw,), analyses=(OperatingPoint(),))
    text = write_vacask(make_job(c, key="t/s")).text
    assert "model swn sp_mos1 (type=1 vto=0.0e+00 kp=1.0e+00)" in text
    diode = Circuit(title="d", elements=base.elements, models=(ModelCard("dd", "d", {}),),
                    analyses=(OperatingPoint(),))
    with pytest.raises(NetlistError, match="built-in model type"):
        write_vacask(make_job(diode, key="t/d"))


def test_template_without_a_verilog_a_twin_is_refused() -> None:
    c = Circuit(
        title="t",
        elements=(
            VoltageSource("V1", "a", GROUND, Dc(1.0)),
            SubcktInstance("X1", ("a", GROUND, "a", GROUND), "vccs"),
            Resistor("R1", "a", GROUND, 1e3),
        ),
        template_subcircuits=(TemplateSubcircuit("dw_vccs.j2", "vccs", {"gm": 1e-3}),),
        analyses=(OperatingPoint(),),
    )
    with pytest.raises(NetlistError, match="no Verilog-A twin"):
        write_vacask(make_job(c, key="t/t"))


def test_mtj_template_maps_to_its_verilog_a_twin() -> None:
    from spinspice.netlists import mtj_model
    from spinspice.spintronic_cells.fit import shipped_fit

    fit = shipped_fit()
    c = Circuit(
        title="mtj",
        elements=(
            VoltageSource("V1", "a", GROUND, Dc(0.1)),
            mtj_model.instance("behavioural", "m1", "a", GROUND, l_ap2p=1.5, l_p2ap=2.0,
                               state="P"),
            SubcktInstance("Xm2", ("a", GROUND), "mtj_stt"),
        ),
        template_subcircuits=(mtj_model.behavioural_subcircuit(fit),),
        analyses=(OperatingPoint(),),
    )
    deck = write_vacask(make_job(c, key="t/mtj"))
    lines = {ln.split(" (")[0]: ln for ln in deck.text.splitlines()}
    assert lines["model mtj_stt spinspice_mtj_stt"].count("rp=1.5e+03") == 1
    assert "l_ap2p" not in lines["model mtj_stt spinspice_mtj_stt"]  # instance parameters
    for part in ("l_ap2p=1.5e+00", "l_p2ap=2.0e+00", "s0=0.0e+00"):
        assert f" {part}" in lines["xm1"]
    # an instance without draws gets the template's defaults (median thresholds, AP)
    for part in ("l_ap2p=6.9314718056e-01", "l_p2ap=6.9314718056e-01", "s0=1.0e+00"):
        assert f" {part}" in lines["xm2"]
    names = {f.name for f in deck.files}
    assert "va/mtj_stt.va" in names and any(n.startswith("osdi/mtj_stt-") for n in names)
    bad = SubcktInstance("Xm3", ("a", GROUND), "mtj_stt", {"rp": 1e3})
    c2 = Circuit(title="mtj", elements=(*c.elements, bad),
                 template_subcircuits=c.template_subcircuits, analyses=(OperatingPoint(),))
    with pytest.raises(NetlistError, match="model parameters"):
        write_vacask(make_job(c2, key="t/mtj"))


def test_reserved_words_are_refused() -> None:
    c = Circuit(title="r", elements=(VoltageSource("V1", "model", GROUND, Dc(1.0)),
                                     Resistor("R1", "model", GROUND, 1.0)),
                analyses=(OperatingPoint(),))
    with pytest.raises(NetlistError, match="reserved word"):
        write_vacask(make_job(c, key="t/r"))


def test_vector_names_map_to_ngspice_names() -> None:
    assert ngspice_vector_name("vdd:flow(br)") == "i(vdd)"
    assert ngspice_vector_name("x1:v2:flow(br)") == "i(v.x1.v2)"
    assert ngspice_vector_name("out") == "v(out)"
    assert ngspice_vector_name("xa_1_1:xm1:s") == "v(xa_1_1.xm1.s)"  # behavioural path
    assert ngspice_vector_name("xa_1_1:nm1:s") == "v(n.xa_1_1.nm1#s)"  # OSDI internal node
    assert ngspice_vector_name("nm1:s") == "v(nm1#s)"
    assert ngspice_vector_name("time") == "time"


GOOD = 'title\nground 0\nload "spice/resistor.osdi"\nmodel r sp_resistor\nr1 (a 0) r r=1\n'
CONTROL = "control\n  analysis op1 op\nendc\n"


def test_guard_accepts_our_text_and_refuses_commands() -> None:
    check_vacask_text(GOOD + CONTROL)
    for bad, why in (
        (GOOD + 'postprocess(PYTHON, "x.py")\n' + CONTROL, "postprocess"),
        (GOOD + 'embed "x.py" <<<FILE\nimport os\n>>>FILE\n' + CONTROL, "embed"),
        (GOOD + 'include "other.inc"\n' + CONTROL, "include"),
        (GOOD.replace("spice/resistor.osdi", "/usr/lib/evil.osdi") + CONTROL, "unsafe"),
        (GOOD + CONTROL + CONTROL, "after the control"),
        (GOOD, "exactly one"),
        (GOOD + "control\n  shell rm\nendc\n", "not allowed in control"),
        (GOOD + "r2 a 0 r\n" + CONTROL, "not an instance line"),
        (GOOD + "r2 (a 0) r r=1\u00e9\n" + CONTROL, "non-ASCII"),
    ):
        with pytest.raises(NetlistError, match=why):
            check_vacask_text(bad)


_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(node=_NAMES, value=st.floats(min_value=1e-3, max_value=1e9))
def test_any_valid_circuit_renders_to_guarded_text_or_a_clear_error(node: str,
                                                                     value: float) -> None:
    try:
        c = Circuit(title="h", elements=(VoltageSource("V1", node, GROUND, Dc(1.0)),
                                         Resistor("R1", node, GROUND, value)),
                    analyses=(OperatingPoint(),))
        deck = write_vacask(make_job(c, key="t/h"))
    except NetlistError:
        return
    check_vacask_text(deck.text)
    assert f"r1 ({node.lower()} 0) spinspice_res r=" in deck.text


def test_an_element_kind_the_writer_does_not_know_is_refused_not_dropped() -> None:
    from dataclasses import dataclass, field
    from typing import Literal

    @dataclass(frozen=True, slots=True)
    class Future:  # a kind added to circuit.py later
        name: str = "B1"
        kind: Literal["B"] = field(default="B", init=False)

    c = _rc()
    object.__setattr__(c, "elements", (*c.elements, Future()))
    job = make_job(_rc(), key="t/f")
    object.__setattr__(job, "circuit", c)
    with pytest.raises(NetlistError, match="kind 'B'"):
        write_vacask(job)


def test_a_twin_out_of_step_with_its_template_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spinspice.netlists import vacask

    va = tmp_path / "isrc.va"
    va.write_text('module m(p, n);\n  inout p, n;\n  electrical p, n;\n'
                  '  parameter real other = 1.0;\n  analog I(p, n) <+ other;\nendmodule\n')
    monkeypatch.setitem(vacask.TEMPLATE_TWINS, "maap_isrc.j2", vacask.TemplateTwin("m", lambda: va))
    c = Circuit(
        title="t",
        elements=(VoltageSource("V1", "a", GROUND, Dc(1.0)),
                  SubcktInstance("X1", ("a", GROUND), "isrc")),
        template_subcircuits=(TemplateSubcircuit("maap_isrc.j2", "isrc", {"idc": 1e-6}),),
        analyses=(OperatingPoint(),),
    )
    with pytest.raises(NetlistError, match="out of step"):
        write_vacask(make_job(c, key="t/t"))


def test_netlist_vacask_dialect_refuses_a_user_library_in_one_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from spinspice.cli import cli

    user = tmp_path / "foundry.lib"
    user.write_text(default_library_path().read_text().replace("vth0=0.250", "vth0=0.300"))
    out = tmp_path / "x"
    res = CliRunner().invoke(cli, ["netlist", "--cell", "4t2r", "--op", "ff", "--rows", "2",
                                   "--cols", "2", "--models", str(user), "--corner", "tt",
                                   "--dialect", "vacask", "-o", str(out)])
    assert res.exit_code == 2
    assert "cannot be used with VACASK" in res.output and "OSDI" in res.output
    assert not out.exists()
