"""SHE-MTJ Multiply-Accumulate-Activate-Pool (MAAP) sets of seed 003 as simulation jobs.

Seed 003 §2.2–3 describes four circuits in words; this module is our design of each
(documented with a schematic in ``docs/maap.md``). Conventions of every circuit here:

* SHE-MTJ terminals (a, b, t) = HM input, HM constant end (ground), MTJ top; positive
  HM current (into ``a``) drives the free layer towards P (``spintronic_cells.she_mtj``).
* Values are *products* w·x in units of one "unit product"; the DAC gives the OTA input
  ``v_unit_V`` per unit product, the OTA turns it into ``i_unit_A`` per unit product.

Circuits
--------
**Cell** (:func:`cell_elements`): reference resistor R_ref from V_dd to the divider node d,
SHE-MTJ from d into its HM (the divider), CMOS inverter reading d, and a feedback resistor
R_f from the inverter output back to d. The feedback holds d near the inverter's switching
point, so the output is V_o ≈ V_M + R_f (V_M G(m) − (V_dd − V_M)/R_ref): linear in the MTJ
conductance, which is linear in the HM current until the free layer saturates. The cell
is non-inverting (more HM current → lower MTJ resistance → higher output).

**Weighted inputs** (:func:`ota_elements`): one DAC voltage source per product feeding a
behavioural OTA (``templates/maap_ota.j2``: tanh-limited transconductance, bias current,
output resistance, input/output capacitance, supply current) whose output current sums
on the low-impedance HM input of the first cell.

**ReLU activation pair** (:func:`relu_pair_elements`): cell 1 sums the window's currents
(with ``bias1_fraction`` · I_sat pulled out of its HM, so that sums 0 … FS span its linear
range); its output drives a coupling OTA into the HM of cell 2, referred to the output of
a *replica* of cell 1 at zero input (one per MAAP set: a replica bias),
together with a bias current source pulling the nominal I_sat out of that HM. At zero
input cell 2 sits exactly at its lower saturation knee, so negative sums give the same low
output (ReLU = 0) and positive sums rise linearly: ReLU(s), saturating at the full scale.

**Floor trim** (:func:`trim_job`, in :func:`relu_pair_elements`): a signed current DAC of
``trim_bits`` bits (LSB ``trim_lsb_A``) into the divider node d of cell 2. The feedback
holds d near V_M, so its current leaves mostly through R_f and shifts the pair's output
down by ~14 kΩ · I_trim everywhere (less than R_f: the inverter's gain is finite): an
output-referred offset trim. Code c > 0 pushes c · LSB into d (output down), c < 0 pulls
it out (output up). Each pair's code is set once, at test, with the window's sum at
``trim_sum`` (below the knee, on the ReLU floor): the code whose output is nearest the
nominal set's floor (:func:`spinspice.analysis.maap.trim_sets`). The DAC is modelled as
the behavioural transconductor of the OTAs (``templates/maap_ota.j2`` under the name
``maap_trim``) driven by a control voltage of ``TRIM_V_PER_CODE`` per code, so its bias
and output current come from V_dd.

**Winner-take-all** (:func:`wta_elements`): one NMOS source follower per activation pair,
sources joined on the output node, one tail current source to V_ss. The follower with the
highest gate carries (nearly) all the tail current and sets the output
V_out ≈ max_p V_o2,p − V_GS: max-pool(ReLU(·)). Each follower drain has its own 0 V source,
so the winner is read from the simulated drain currents.

Transistor threshold variation enters as a DC offset source in series with each gate
(an exact equivalent of a V_th shift for the gate drive).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import numpy as np

from spinspice.array_builder.parasitics import LayoutModel
from spinspice.errors import ParameterError
from spinspice.netlists import she_mtj_model as sm
from spinspice.netlists.circuit import (
    GROUND,
    Circuit,
    Dc,
    DcSweep,
    Element,
    Mosfet,
    OsdiInstance,
    Pwl,
    Resistor,
    Save,
    SubcktInstance,
    TemplateSubcircuit,
    Transient,
    VoltageSource,
    Waveform,
)
from spinspice.netlists.job import Job, make_job
from spinspice.netlists.technology import MosfetTechnology
from spinspice.spintronic_cells.she_mtj import (
    SheMtjDraws,
    SheMtjParams,
    SheMtjVariation,
    draw_variation,
    get_she_preset,
)

OTA = "maap_ota"
ISRC = "maap_isrc"
#: The floor-trim DAC: the OTA template under its own name (area and reports tell it apart).
TRIM = "maap_trim"
#: Control voltage of the trim DAC per code, V; our choice (the DAC is a transconductor
#: of g_m = trim_lsb_A / TRIM_V_PER_CODE driven by code · TRIM_V_PER_CODE).
TRIM_V_PER_CODE: Final = 1e-3
#: The trim DAC's current limit over its full-scale current; our choice (tanh(0.1) is
#: 0.3 % below linear at the last code).
TRIM_IMAX_OVER_FULL: Final = 10.0
#: Output resistance of the trim DAC, Ω; our choice (a cascoded current DAC: 0.5 nA of
#: leakage at d ≈ 0.5 V, 0.2 % of one code).
TRIM_RO_OHM: Final = 1e9
#: Trim DAC resolutions accepted, bits: a sign and at least one magnitude bit, at most 12
#: (our bound for input validation).
MIN_TRIM_BITS: Final = 2
MAX_TRIM_BITS: Final = 12
#: Transistors per cell (inverter NMOS, PMOS) and per window (two cells + one follower).
FETS_PER_CELL = 2
FETS_PER_WINDOW = 2 * FETS_PER_CELL + 1
MTJS_PER_WINDOW = 2
#: Most windows P and most inputs K of one MAAP set; our choice (a bound for input validation:
#: a 64 × 64 set already holds 4096 OTAs in one deck).
MAX_SET_SIDE: Final = 64
#: Fewest points of a DC sweep: both ends and one interior point; our choice.
MIN_SWEEP_POINTS: Final = 3
#: Axes of a products array: (vectors, windows, inputs).
PRODUCTS_NDIM: Final = 3
#: Largest |product| accepted, unit products; our choice (a bound against unit mistakes, far
#: above the activation pair's saturation near 2.3 unit products for the default design).
MAX_ABS_PRODUCT: Final = 1e3


def _default_tech() -> MosfetTechnology:
    return MosfetTechnology.default()


def _default_she() -> SheMtjParams:
    return get_she_preset("seed003")


@dataclass(frozen=True, slots=True, kw_only=True)
class MaapDesign:
    """Every element value of a MAAP set (SI units); ``docs/maap.md`` explains each choice.

    Parameters
    ----------
    she:
        SHE-MTJ parameters (preset ``seed003``).
    technology:
        MOSFET models (bundled 28 nm-class cards at V_dd = 1 V by default).
    mtj_model:
        ``behavioural`` (B-sources) or ``osdi`` (the Verilog-A twin; needs ``osdi_path``).
    vdd_V, vss_V:
        Supply and the negative rail of the WTA tail source, V.
    r_ref_ohm:
        Divider reference resistor, Ω (centres the cell output at zero input).
    r_f_ohm:
        Inverter feedback resistor, Ω (sets the cell gain).
    wn_m, wp_m, l_m:
        Inverter NMOS/PMOS widths and length, m.
    i_unit_A:
        OTA output current per unit product, A.
    v_unit_V:
        DAC voltage per unit product, V.
    ota_imax_A, ota_iq_A, ota_ro_ohm, ota_cin_F, ota_cout_F:
        Input OTAs: tanh current limit, bias current, output resistance, capacitances.
    gm_c_S:
        Transconductance of the coupling OTA between the two cells of a pair, S.
    bias1_fraction:
        Cell 1's HM has ``bias1_fraction`` · I_sat pulled out, so a zero sum sits near its
        lower knee and the sums 0 … FS use (nearly) its whole linear range.
    wta_w_m, wta_l_m:
        WTA follower width and length, m.
    i_tail_A:
        WTA tail current, A.
    trim_bits, trim_lsb_A, trim_iq_A:
        Floor-trim DAC of each pair (module docstring): signed codes
        −(2^(bits−1) − 1) … 2^(bits−1) − 1, current per code (A) and bias current (A).
        Ours, not in seed 003: 8 bits of 0.25 µA (±31.75 µA). One code moves the
        nominal floor by 3.3–3.6 mV (0.6–0.7 % of the 0.53 V output swing; the inverter's
        finite gain makes it less than R_f · LSB); the full range moves it from +0.43 V
        to −0.16 V of the nominal floor (the cell's output cannot go much lower), about
        +8 σ / −3 σ of the floor spread with 5 % MTJ variation. Bias 0.1 µA.
    trim_sum:
        Window sum at which the trim is set, unit products (< 0: on the ReLU floor).
    t_op_s:
        Duration of one MAAP operation, s (seed 003: 0.6 ns).
    t_edge_s:
        Input transition time between operations, s.
    """

    she: SheMtjParams = field(default_factory=_default_she)
    technology: MosfetTechnology = field(default_factory=_default_tech)
    mtj_model: sm.SheModelKind = "behavioural"
    vdd_V: float = 1.0
    vss_V: float = -0.5
    r_ref_ohm: float = 6.3e3
    r_f_ohm: float = 40e3
    wn_m: float = 200e-9
    wp_m: float = 300e-9
    l_m: float = 30e-9
    i_unit_A: float = 45e-6
    v_unit_V: float = 0.1
    ota_imax_A: float = 450e-6
    ota_iq_A: float = 1e-6
    ota_ro_ohm: float = 10e6
    ota_cin_F: float = 1e-15
    ota_cout_F: float = 0.5e-15
    gm_c_S: float = 0.2e-3
    bias1_fraction: float = 0.9
    wta_w_m: float = 1e-6
    wta_l_m: float = 30e-9
    i_tail_A: float = 20e-6
    trim_bits: int = 8
    trim_lsb_A: float = 0.25e-6
    trim_iq_A: float = 0.1e-6
    trim_sum: float = -0.5
    t_op_s: float = 0.6e-9
    t_edge_s: float = 20e-12

    def __post_init__(self) -> None:
        if self.mtj_model not in ("behavioural", "osdi"):
            raise ParameterError(f"mtj_model must be behavioural or osdi, got {self.mtj_model!r}")
        pos = [
            "vdd_V",
            "r_ref_ohm",
            "r_f_ohm",
            "wn_m",
            "wp_m",
            "l_m",
            "i_unit_A",
            "v_unit_V",
            "ota_imax_A",
            "ota_iq_A",
            "ota_ro_ohm",
            "ota_cin_F",
            "ota_cout_F",
            "gm_c_S",
            "wta_w_m",
            "wta_l_m",
            "i_tail_A",
            "trim_lsb_A",
            "trim_iq_A",
            "t_op_s",
            "t_edge_s",
        ]
        for name in pos:
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not np.isfinite(v)
                or v <= 0
            ):
                raise ParameterError(f"{name} must be a finite number > 0, got {v!r}")
        if not self.vss_V < 0:
            raise ParameterError(f"vss_V must be < 0, got {self.vss_V!r}")
        if not 0 <= self.bias1_fraction < 1:
            raise ParameterError(f"bias1_fraction must be in [0, 1), got {self.bias1_fraction!r}")
        b = self.trim_bits
        if isinstance(b, bool) or not isinstance(b, int) or not MIN_TRIM_BITS <= b <= MAX_TRIM_BITS:
            raise ParameterError(f"trim_bits must be an integer in 2..12, got {b!r}")
        ts = self.trim_sum
        if isinstance(ts, bool) or not isinstance(ts, int | float) or not -MAX_ABS_PRODUCT < ts < 0:
            raise ParameterError(f"trim_sum must be a number in (-1e3, 0), got {ts!r}")
        if self.t_edge_s >= self.t_op_s / 4:
            raise ParameterError("t_edge_s must be shorter than a quarter of t_op_s")

    @property
    def i_bias1_A(self) -> float:
        """Bias current pulled out of the cell-1 HM, A."""
        return self.bias1_fraction * self.she.i_sat_A

    @property
    def i_bias_A(self) -> float:
        """Bias current pulled out of the cell-2 HM: the nominal I_sat (knee at zero), A."""
        return self.she.i_sat_A

    @property
    def trim_max_code(self) -> int:
        """Largest |code| of the floor-trim DAC."""
        return int(2 ** (self.trim_bits - 1) - 1)

    def template_subcircuits(self) -> tuple[TemplateSubcircuit, ...]:
        """The SHE-MTJ, OTA and current-source subcircuit definitions."""
        ota = {
            "gm": self.i_unit_A / self.v_unit_V,
            "imax": self.ota_imax_A,
            "iq": self.ota_iq_A,
            "ro": self.ota_ro_ohm,
            "cin": self.ota_cin_F,
            "cout": self.ota_cout_F,
        }
        full_A = self.trim_max_code * self.trim_lsb_A
        trim = {
            **ota,
            "gm": self.trim_lsb_A / TRIM_V_PER_CODE,
            "imax": TRIM_IMAX_OVER_FULL * full_A,
            "iq": self.trim_iq_A,
            "ro": TRIM_RO_OHM,
        }
        subs = [
            TemplateSubcircuit("maap_ota.j2", OTA, ota),
            TemplateSubcircuit("maap_ota.j2", TRIM, trim),
            TemplateSubcircuit("maap_isrc.j2", ISRC, {"idc": 0.0}),
        ]
        if self.mtj_model == "behavioural":
            subs.append(sm.behavioural_subcircuit(self.she))
        return tuple(subs)


@dataclass(frozen=True, slots=True)
class WindowDraws:
    """Variation factors of one window: MTJs of cell 1, 2; ΔV_th of n1, p1, n2, p2, follower."""

    rp: tuple[float, float] = (1.0, 1.0)
    isat: tuple[float, float] = (1.0, 1.0)
    dvth_V: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)


def window_draws(draws: SheMtjDraws | None, p: int) -> WindowDraws:
    """The draws of window ``p`` from a flat draw (None: nominal devices)."""
    if draws is None:
        return WindowDraws()
    m = slice(MTJS_PER_WINDOW * p, MTJS_PER_WINDOW * (p + 1))
    f = slice(FETS_PER_WINDOW * p, FETS_PER_WINDOW * (p + 1))
    rp, isat, dv = draws.rp_factor[m], draws.isat_factor[m], draws.dvth_V[f]
    if rp.size != MTJS_PER_WINDOW or dv.size != FETS_PER_WINDOW:
        raise ParameterError(f"the variation draw holds too few devices for window {p}")
    return WindowDraws(
        (float(rp[0]), float(rp[1])),
        (float(isat[0]), float(isat[1])),
        tuple(float(x) for x in dv),  # type: ignore[arg-type]
    )


def draw_maap(v: SheMtjVariation, windows: int, seed: int) -> SheMtjDraws:
    """Per-device draws for a MAAP set of ``windows`` activation pairs and its replica cell
    (the replica's MTJ and transistors come last)."""
    return draw_variation(
        v, MTJS_PER_WINDOW * windows + 1, FETS_PER_WINDOW * windows + FETS_PER_CELL, seed
    )


def replica_draws(draws: SheMtjDraws | None) -> tuple[float, float, float, float]:
    """(R_P factor, I_sat factor, ΔV_th,n, ΔV_th,p) of the replica cell (the last devices)."""
    if draws is None:
        return (1.0, 1.0, 0.0, 0.0)
    return (
        float(draws.rp_factor[-1]),
        float(draws.isat_factor[-1]),
        float(draws.dvth_V[-2]),
        float(draws.dvth_V[-1]),
    )


# --------------------------------------------------------------------------- circuits


def cell_elements(
    d: MaapDesign,
    prefix: str,
    a: str,
    out: str,
    *,
    rp_factor: float = 1.0,
    isat_factor: float = 1.0,
    dvth_n_V: float = 0.0,
    dvth_p_V: float = 0.0,
) -> list[Element]:
    """One SHE-MTJ cell: HM input ``a`` (constant end grounded), output ``out``.

    Internal nodes are ``{prefix}d`` (divider), ``{prefix}gn``/``{prefix}gp`` (gates
    behind the V_th offset sources).
    """
    dn, gn, gp = f"{prefix}d", f"{prefix}gn", f"{prefix}gp"
    t = d.technology
    return [
        sm.instance(
            d.mtj_model,
            f"{prefix}mtj",
            a,
            GROUND,
            dn,
            p=d.she,
            rp_factor=rp_factor,
            isat_factor=isat_factor,
        ),
        Resistor(f"R{prefix}ref", "vdd", dn, d.r_ref_ohm),
        Resistor(f"R{prefix}f", out, dn, d.r_f_ohm),
        # NMOS: higher V_th = lower gate drive, V(gn) = V(d) − ΔV_th,n
        VoltageSource(f"V{prefix}tn", gn, dn, Dc(-dvth_n_V)),
        # PMOS: higher |V_th| = lower source-gate drive, V(gp) = V(d) + ΔV_th,p
        VoltageSource(f"V{prefix}tp", gp, dn, Dc(dvth_p_V)),
        Mosfet(f"M{prefix}n", out, gn, GROUND, GROUND, t.nmos_model, d.wn_m, d.l_m),
        Mosfet(f"M{prefix}p", out, gp, "vdd", "vdd", t.pmos_model, d.wp_m, d.l_m),
    ]


def ota_elements(prefix: str, out: str, waveform: Waveform) -> list[Element]:
    """One weighted input: DAC source ``V{prefix}`` driving OTA ``X{prefix}`` into ``out``."""
    vin = f"{prefix}in"
    return [
        VoltageSource(f"V{prefix}", vin, GROUND, waveform),
        SubcktInstance(f"X{prefix}", ("vdd", vin, GROUND, out), OTA),
    ]


def replica_elements(d: MaapDesign, ref: str, draws: SheMtjDraws | None) -> list[Element]:
    """The replica of cell 1 at zero input (its bias only); output ``ref``."""
    rp, isat, dn, dp = replica_draws(draws)
    return [
        SubcktInstance("Xrepbias1", ("repa", GROUND), ISRC, {"idc": d.i_bias1_A}),
        *cell_elements(
            d, "rep", "repa", ref, rp_factor=rp, isat_factor=isat, dvth_n_V=dn, dvth_p_V=dp
        ),
    ]


def relu_pair_elements(
    d: MaapDesign,
    prefix: str,
    a1: str,
    out: str,
    w: WindowDraws,
    ref: str = "ref",
    *,
    trim_code: int = 0,
) -> list[Element]:
    """Activation pair: cell 1 (input ``a1``) → coupling OTA (referred to the replica output
    ``ref``) + bias source → cell 2 → ``out``; the floor-trim DAC at ``trim_code`` drives
    cell 2's divider node from the control source ``V{prefix}trim`` (``trim_code`` as
    validated by the jobs' :func:`_trim_codes`)."""
    o1, a2 = f"{prefix}o1", f"{prefix}a2"
    els: list[Element] = [
        SubcktInstance(f"X{prefix}bias1", (a1, GROUND), ISRC, {"idc": d.i_bias1_A})
    ]
    els += cell_elements(
        d,
        f"{prefix}c1",
        a1,
        o1,
        rp_factor=w.rp[0],
        isat_factor=w.isat[0],
        dvth_n_V=w.dvth_V[0],
        dvth_p_V=w.dvth_V[1],
    )
    els += [
        # coupling OTA: gm_c · (V(o1) − V(ref)) into the HM of cell 2
        SubcktInstance(
            f"X{prefix}cpl", ("vdd", o1, ref, a2), OTA, {"gm": d.gm_c_S, "imax": 20 * d.ota_imax_A}
        ),
        SubcktInstance(f"X{prefix}bias", (a2, GROUND), ISRC, {"idc": d.i_bias_A}),
    ]
    els += cell_elements(
        d,
        f"{prefix}c2",
        a2,
        out,
        rp_factor=w.rp[1],
        isat_factor=w.isat[1],
        dvth_n_V=w.dvth_V[2],
        dvth_p_V=w.dvth_V[3],
    )
    ctl = f"{prefix}trimc"
    els += [
        VoltageSource(f"V{prefix}trim", ctl, GROUND, Dc(trim_code * TRIM_V_PER_CODE)),
        SubcktInstance(f"X{prefix}trim", ("vdd", ctl, GROUND, f"{prefix}c2d"), TRIM),
    ]
    return els


def _check_code(d: MaapDesign, code: object) -> None:
    if isinstance(code, bool) or not isinstance(code, int | np.integer):
        raise ParameterError(f"a trim code must be an integer, got {code!r}")
    if abs(int(code)) > d.trim_max_code:
        raise ParameterError(
            f"trim code {code} is outside the {d.trim_bits}-bit DAC (|code| <= {d.trim_max_code})"
        )


def wta_elements(
    d: MaapDesign, gates: Sequence[str], out: str, dvth_V: Sequence[float]
) -> list[Element]:
    """Source-follower winner-take-all: drains ``vdd`` through ``Vwd{k}`` (0 V, ammeter)."""
    t = d.technology
    els: list[Element] = []
    for k, (g, dv) in enumerate(zip(gates, dvth_V, strict=True)):
        els += [
            VoltageSource(f"Vwd{k}", "vdd", f"wd{k}", Dc(0.0)),
            VoltageSource(f"Vwt{k}", f"wg{k}", g, Dc(-dv)),
            Mosfet(f"Mw{k}", f"wd{k}", f"wg{k}", out, out, t.nmos_model, d.wta_w_m, d.wta_l_m),
        ]
    els.append(SubcktInstance("Xtail", (out, "vss"), ISRC, {"idc": d.i_tail_A}))
    return els


def _supplies(d: MaapDesign) -> list[Element]:
    return [
        VoltageSource("Vdd", "vdd", GROUND, Dc(d.vdd_V)),
        VoltageSource("Vss", "vss", GROUND, Dc(d.vss_V)),
    ]


# --------------------------------------------------------------------------- jobs


def _osdi(d: MaapDesign, osdi_path: Path | None) -> tuple[Path, ...]:
    if d.mtj_model == "osdi":
        if osdi_path is None:
            raise ParameterError("the osdi SHE-MTJ model needs the compiled .osdi path")
        return (osdi_path,)
    return ()


def _circuit(
    d: MaapDesign, title: str, elements: list[Element], analysis: object, saves: list[Save]
) -> Circuit:
    models = (sm.osdi_model_card(d.she),) if d.mtj_model == "osdi" else ()
    return Circuit(
        title,
        tuple(elements),
        (analysis,),  # type: ignore[arg-type]
        template_subcircuits=d.template_subcircuits(),
        models=models,
        libraries=(d.technology.library_ref(),),
        saves=tuple(saves),
    )


def cell_transfer_job(
    d: MaapDesign, *, i_max_A: float, n_points: int = 121, osdi_path: Path | None = None
) -> Job:
    """DC sweep of one cell: an ideal DAC+OTA sweeps the HM current over ±``i_max_A``.

    Saves the output ``v(o)``, the HM input ``v(a)`` and the OTA output current via the
    DAC voltage (``v(v-sweep)`` · gm).
    """
    if n_points < MIN_SWEEP_POINTS:
        raise ParameterError("n_points must be >= 3")
    els = _supplies(d)
    els += ota_elements("in", "a", Dc(0.0))
    els += cell_elements(d, "c", "a", "o")
    v = i_max_A / (d.i_unit_A / d.v_unit_V)
    sweep = DcSweep("Vin", -v, v, 2 * v / (n_points - 1))
    saves = [Save("v", ("o",)), Save("v", ("a",)), Save("i", ("vdd",))]
    c = _circuit(d, "MAAP cell transfer", els, sweep, saves)
    return make_job(c, key="maap/transfer/cell", osdi=_osdi(d, osdi_path), meta={"family": "maap"})


def relu_transfer_job(
    d: MaapDesign, *, s_max: float, n_points: int = 121, osdi_path: Path | None = None
) -> Job:
    """DC sweep of one activation pair over sums −s_max … +s_max (unit products)."""
    els = _supplies(d)
    els += ota_elements("in", "a1", Dc(0.0))
    els += replica_elements(d, "ref", None)
    els += relu_pair_elements(d, "p0", "a1", "o2", WindowDraws())
    v = s_max * d.v_unit_V
    sweep = DcSweep("Vin", -v, v, 2 * v / (n_points - 1))
    saves = [Save("v", ("o2",)), Save("v", ("p0o1",)), Save("v", ("p0a2",))]
    c = _circuit(d, "MAAP ReLU pair transfer", els, sweep, saves)
    return make_job(c, key="maap/transfer/relu", osdi=_osdi(d, osdi_path), meta={"family": "maap"})


def sample_times(d: MaapDesign, n_vectors: int) -> np.ndarray:
    """Times at which operation k is read: the end of its slot (minus one edge), s."""
    return (np.arange(n_vectors) + 1) * d.t_op_s - d.t_edge_s


def _trim_codes(d: MaapDesign, trim: Sequence[int] | None, windows: int) -> tuple[int, ...]:
    """Validated trim codes of ``windows`` pairs (None: all 0)."""
    if trim is None:
        return (0,) * windows
    codes = tuple(trim)
    if len(codes) != windows:
        raise ParameterError(f"{len(codes)} trim codes given for {windows} windows")
    for c in codes:
        _check_code(d, c)
    return tuple(int(c) for c in codes)


def _maap_elements(
    d: MaapDesign,
    waveforms: Sequence[Sequence[Waveform]],
    draws: SheMtjDraws | None,
    trim: Sequence[int] | None = None,
) -> tuple[list[Element], list[Save]]:
    """Elements of a MAAP set: ``waveforms[p][k]`` drives the DAC of window p, input k;
    ``trim[p]`` is pair p's floor-trim code (None: all 0)."""
    codes = _trim_codes(d, trim, len(waveforms))
    els = _supplies(d) + replica_elements(d, "ref", draws)
    gates: list[str] = []
    dvth_f: list[float] = []
    saves = [Save("v", ("out",)), Save("i", ("vdd",)), Save("i", ("vss",))]
    for p, row in enumerate(waveforms):
        w = window_draws(draws, p)
        a1 = f"p{p}a1"
        for k, wf in enumerate(row):
            els += ota_elements(f"i{p}_{k}", a1, wf)
            saves += [Save("i", (f"vi{p}_{k}",)), Save("v", (f"i{p}_{k}in",))]
        els += relu_pair_elements(d, f"p{p}", a1, f"p{p}o2", w, trim_code=codes[p])
        gates.append(f"p{p}o2")
        dvth_f.append(w.dvth_V[4])
        saves += [Save("v", (f"p{p}o2",)), Save("i", (f"vwd{p}",))]
    els += wta_elements(d, gates, "out", dvth_f)
    return els, saves


def _check_shape(windows: int, inputs: int) -> None:
    for what, v in (("windows", windows), ("inputs", inputs)):
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_SET_SIDE:
            raise ParameterError(f"{what} must be an integer in 1..64, got {v!r}")


def maap_job(
    d: MaapDesign,
    products: np.ndarray,
    *,
    key: str,
    draws: SheMtjDraws | None = None,
    trim: Sequence[int] | None = None,
    osdi_path: Path | None = None,
    max_step_s: float = 10e-12,
    meta: dict[str, str | int | float | bool] | None = None,
) -> Job:
    """Transient of one MAAP set applying ``products`` one operation after the other.

    Parameters
    ----------
    products:
        Array (N, P, K): products w·x (unit products) of vector n, window p, input k.
        Operation n occupies [n t_op, (n + 1) t_op); inputs switch in ``t_edge_s``.
    draws:
        Per-device variation (:func:`draw_maap`), None for nominal devices.
    trim:
        Floor-trim code of each window (:func:`spinspice.analysis.maap.trim_sets`),
        None for all 0.

    Saves the WTA output ``v(out)``, every pair output ``v(p{k}o2)``, the follower drain
    currents ``i(vwd{k})`` and every supply and DAC current (for the energy).
    """
    products = np.asarray(products, dtype=float)
    if products.ndim != PRODUCTS_NDIM or products.size == 0:
        raise ParameterError("products must be a non-empty (vectors, windows, inputs) array")
    n, n_win, k_in = products.shape
    _check_shape(n_win, k_in)
    if not np.all(np.isfinite(products)) or np.abs(products).max() > MAX_ABS_PRODUCT:
        raise ParameterError("products must be finite and below 1e3 in magnitude")
    waveforms: list[list[Waveform]] = []
    for p in range(n_win):
        row: list[Waveform] = []
        for k in range(k_in):
            pts: list[tuple[float, float]] = []
            for j in range(n):
                v = float(products[j, p, k]) * d.v_unit_V
                pts.append((0.0 if j == 0 else j * d.t_op_s + d.t_edge_s, v))
                pts.append(((j + 1) * d.t_op_s, v))
            row.append(Pwl(tuple(pts)))
        waveforms.append(row)
    codes = _trim_codes(d, trim, n_win)
    els, saves = _maap_elements(d, waveforms, draws, codes)
    tran = Transient(d.t_edge_s / 4, n * d.t_op_s, max_step_s=max_step_s)
    c = _circuit(d, "MAAP set", els, tran, saves)
    m: dict[str, str | int | float | bool] = {
        "family": "maap",
        "vectors": n,
        "windows": n_win,
        "inputs": k_in,
        "seed": -1 if draws is None else draws.seed,
        "trim": ",".join(map(str, codes)),
    }
    m.update(meta or {})
    return make_job(c, key=key, osdi=_osdi(d, osdi_path), meta=m)


def calibration_job(
    d: MaapDesign,
    *,
    windows: int,
    inputs: int,
    s_max: float,
    n_points: int = 81,
    draws: SheMtjDraws | None = None,
    trim: Sequence[int] | None = None,
    osdi_path: Path | None = None,
) -> Job:
    """DC sweep of a whole MAAP set with one active window (the ADC's calibration).

    Window 0's first DAC (``Vi0_0``) sweeps its window sum from −s_max/4 to s_max; all
    other inputs are 0 (so the other windows sit at ReLU = 0). ``trim``: the windows'
    floor-trim codes (None: all 0).
    """
    _check_shape(windows, inputs)
    if n_points < MIN_SWEEP_POINTS:
        raise ParameterError("n_points must be >= 3")
    wf: list[list[Waveform]] = [[Dc(0.0)] * inputs for _ in range(windows)]
    codes = _trim_codes(d, trim, windows)
    els, saves = _maap_elements(d, wf, draws, codes)
    lo, hi = -0.25 * s_max * d.v_unit_V, s_max * d.v_unit_V
    c = _circuit(
        d, "MAAP set calibration", els, DcSweep("Vi0_0", lo, hi, (hi - lo) / (n_points - 1)), saves
    )
    return make_job(
        c,
        key=f"maap/calibrate/{windows}x{inputs}/"
        + ("nominal" if draws is None else f"s{draws.seed}")
        + ("-trimmed" if any(codes) else ""),
        osdi=_osdi(d, osdi_path),
        meta={
            "family": "maap",
            "windows": windows,
            "inputs": inputs,
            "seed": -1 if draws is None else draws.seed,
            "trim": ",".join(map(str, codes)),
        },
    )


def single_window_draws(draws: SheMtjDraws, p: int) -> SheMtjDraws:
    """The devices a one-window set needs to stand for window ``p`` of the set ``draws``:
    that window's MTJs and transistors and the set's replica cell (same seed)."""
    w = window_draws(draws, p)  # validates the size
    return SheMtjDraws(
        draws.seed,
        np.array([*w.rp, draws.rp_factor[-1]]),
        np.array([*w.isat, draws.isat_factor[-1]]),
        np.array([*w.dvth_V, *draws.dvth_V[-FETS_PER_CELL:]]),
    )


def trim_job(
    d: MaapDesign,
    *,
    inputs: int,
    draws: SheMtjDraws | None = None,
    window: int = 0,
    osdi_path: Path | None = None,
) -> Job:
    """DC sweep of the floor-trim code of window ``window`` of the set ``draws``.

    The set is reduced to that one window (its pair, follower and the set's replica; the
    other windows' followers are switched off while a pair is trimmed), its window sum is
    held at ``d.trim_sum`` (on the ReLU floor) and the trim DAC's control source
    ``Vp0trim`` sweeps every code −max … +max; the output ``v(out)`` is saved.
    ``draws`` None is the nominal set, whose output at code 0 is the trim target.
    """
    _check_shape(1, inputs)
    one = None if draws is None else single_window_draws(draws, window)
    row: list[Waveform] = [Dc(d.trim_sum * d.v_unit_V)]
    wf = [row + [Dc(0.0)] * (inputs - 1)]
    els, _ = _maap_elements(d, wf, one)
    v = d.trim_max_code * TRIM_V_PER_CODE
    sweep = DcSweep("Vp0trim", -v, v, TRIM_V_PER_CODE)
    c = _circuit(d, "MAAP floor trim", els, sweep, [Save("v", ("out",))])
    return make_job(
        c,
        key=f"maap/trim/{inputs}/" + ("nominal" if draws is None else f"s{draws.seed}w{window}"),
        osdi=_osdi(d, osdi_path),
        meta={
            "family": "maap",
            "inputs": inputs,
            "window": window,
            "seed": -1 if draws is None else draws.seed,
        },
    )


ModelKind = Literal["behavioural", "osdi"]


# --------------------------------------------------------------------------- area


@dataclass(frozen=True, slots=True, kw_only=True)
class MaapAreaModel:
    """Area of a MAAP set from the elements of its netlist (docs/maap.md §6).

    Every element of :func:`_maap_elements` is given a footprint; their sum is multiplied by
    the layout model's routing overhead, as for the 4T2R/2T1R cells
    (:class:`~spinspice.array_builder.parasitics.LayoutModel`, F = 28 nm, overhead 3).

    Parameters
    ----------
    layout:
        Transistor footprint (W + 2F)(L + 4F), feature size F and routing overhead.
    sheet_ohm:
        Sheet resistance of the reference/feedback resistors, Ω/□. Default 1360 Ω/□: the
        high-ohmic unsalicided poly (``rhigh``) of the IHP SG13G2 open PDK.
    resistor_width_F:
        Resistor width in units of F (ours: 2F); the body is R/R_□ squares long, plus a
        contacted head of 2F at each end, with F of spacing on each side.
    ion_A_per_m:
        Drive current per width that sizes current-carrying transistors, A/m. Default
        0.997 mA/µm: the bundled tt NMOS at |V_GS| = |V_DS| = 1 V (docs/mosfet_models.md).
    analog_derating:
        Analog devices (OTA, bias sources) carry ``ion_A_per_m / analog_derating`` per
        width, so that they stay saturated with headroom; ours: 4.
    ota_transistors:
        Transistors of one OTA (ours: 5, a differential pair, a current-mirror load and a
        tail device, each sized for the OTA's largest output current min(I_max, g_m V_dd)).
    """

    layout: LayoutModel = field(default_factory=LayoutModel)
    sheet_ohm: float = 1360.0
    resistor_width_F: float = 2.0
    ion_A_per_m: float = 0.997e3
    analog_derating: float = 4.0
    ota_transistors: int = 5

    def __post_init__(self) -> None:
        for name in ("sheet_ohm", "resistor_width_F", "ion_A_per_m", "analog_derating"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < np.inf:
                raise ParameterError(f"{name} must be a finite number > 0, got {v!r}")
        if isinstance(self.ota_transistors, bool) or not (
            isinstance(self.ota_transistors, int) and self.ota_transistors >= 1
        ):
            raise ParameterError("ota_transistors must be an integer >= 1")

    def resistor_m2(self, r_ohm: float) -> float:
        """Footprint of a poly resistor of ``r_ohm``, m² (before routing overhead)."""
        f = self.layout.feature_size_m
        w = self.resistor_width_F * f
        return (r_ohm / self.sheet_ohm * w + 4 * f) * (w + 2 * f)

    def analog_fet_m2(self, i_A: float, d: MaapDesign) -> float:
        """Footprint of one analog transistor sized for ``i_A`` (at least the technology's
        minimum NMOS width), m²."""
        w = max(abs(i_A) * self.analog_derating / self.ion_A_per_m, d.technology.wn_m)
        return self.layout.transistor_area_m2(w, d.l_m)

    def she_mtj_m2(self, d: MaapDesign) -> float:
        """Footprint of one SHE-MTJ: its HM strip with a contacted end of 2F at each
        terminal and F of spacing on each side (the MTJ pillar sits on the strip), m²."""
        f = self.layout.feature_size_m
        return (d.she.hm_length_m + 4 * f) * (d.she.hm_width_m + 2 * f)


@dataclass(frozen=True, slots=True)
class MaapArea:
    """Element counts and areas (m², routing overhead included) of one MAAP set."""

    counts: dict[str, int]
    areas_m2: dict[str, float]

    @property
    def total_m2(self) -> float:
        """Area of the set, m²."""
        return float(sum(self.areas_m2.values()))


def _number(v: object) -> float:
    """A netlist value that must be a plain number (the MAAP builder writes no parameters)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ParameterError(f"the MAAP area model needs numeric element values, got {v!r}")
    return float(v)


def set_area(
    d: MaapDesign, *, windows: int, inputs: int, model: MaapAreaModel | None = None
) -> MaapArea:
    """Area of a MAAP set of P = ``windows`` pairs of K = ``inputs`` inputs, counted from
    the elements of its netlist (:func:`_maap_elements`, nominal devices).

    Kinds: ``she_mtj`` (HM strip footprint), ``resistor`` (poly, R/R_□ squares),
    ``mosfet`` (inverters and WTA followers at their netlist W, L), ``ota`` (input and
    coupling OTAs, ``ota_transistors`` each, sized for min(I_max, g_m V_dd)),
    ``current_source`` (bias and tail sources: one transistor sized for its current),
    ``trim_dac`` (each pair's floor trim: trim_bits − 1 binary-weighted current
    transistors and a sign switch, each sized for its current; its code register is
    digital periphery).
    Voltage sources have no area: supplies, 0 V ammeters and V_th offset sources are
    simulation artefacts, and the DAC that drives each OTA input belongs to the digital
    periphery (like the ADC and SRAM of eq. 2, not counted).
    """
    _check_shape(windows, inputs)
    m = model or MaapAreaModel()
    wf: list[list[Waveform]] = [[Dc(0.0)] * inputs for _ in range(windows)]
    els, _ = _maap_elements(d, wf, None)
    defaults = {t.name: dict(t.params) for t in d.template_subcircuits()}
    counts = dict.fromkeys(
        ("she_mtj", "resistor", "mosfet", "ota", "current_source", "trim_dac"), 0
    )
    raw = dict.fromkeys(counts, 0.0)
    for e in els:
        if isinstance(e, OsdiInstance) or (isinstance(e, SubcktInstance) and e.subckt == sm.SUBCKT):
            kind, a = "she_mtj", m.she_mtj_m2(d)
        elif isinstance(e, Resistor):
            kind, a = "resistor", m.resistor_m2(_number(e.resistance_ohm))
        elif isinstance(e, Mosfet):
            kind, a = "mosfet", m.layout.transistor_area_m2(_number(e.w_m), _number(e.l_m))
        elif isinstance(e, SubcktInstance) and e.subckt == OTA:
            p = {**defaults[OTA], **e.params}
            i_max = min(_number(p["imax"]), _number(p["gm"]) * d.vdd_V)
            kind, a = "ota", m.ota_transistors * m.analog_fet_m2(i_max, d)
        elif isinstance(e, SubcktInstance) and e.subckt == TRIM:
            # binary-weighted current-steering DAC: one transistor per magnitude bit and a
            # sign switch carrying the full current, each sized for its current
            cur = [d.trim_lsb_A * 2**b for b in range(d.trim_bits - 1)]
            cur.append(d.trim_max_code * d.trim_lsb_A)
            kind, a = "trim_dac", sum(m.analog_fet_m2(i, d) for i in cur)
        elif isinstance(e, SubcktInstance) and e.subckt == ISRC:
            kind, a = "current_source", m.analog_fet_m2(_number(e.params["idc"]), d)
        elif isinstance(e, VoltageSource):
            continue
        else:
            raise ParameterError(f"the MAAP area model has no footprint for {e!r}")
        counts[kind] += 1
        raw[kind] += a
    k = m.layout.routing_overhead
    return MaapArea(counts, {name: k * a for name, a in raw.items()})
