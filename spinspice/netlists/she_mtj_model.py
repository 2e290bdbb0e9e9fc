"""SHE-MTJ instances for netlists: the behavioural subcircuit and its Verilog-A twin.

Two interchangeable implementations of the same equations (``spintronic_cells.she_mtj``,
seed 003 §2.2):

* ``behavioural``: an ngspice subcircuit of B-sources (``templates/she_mtj_behavioural.j2``,
  ``X`` instances);
* ``osdi``: ``spinspice/verilog_a/she_mtj.va`` compiled with OpenVAF to OSDI (``N`` instances).

Terminal order is (a, b, t): HM input end, HM constant end, MTJ top. Per-device variation
(R_P, I_sat) enters as instance parameters drawn by Python with a recorded seed
(:func:`spinspice.spintronic_cells.she_mtj.draw_variation`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from spinspice.netlists.circuit import ModelCard, OsdiInstance, SubcktInstance, TemplateSubcircuit
from spinspice.spintronic_cells.she_mtj import CLAMP_EPS, SheMtjParams

SheModelKind = Literal["behavioural", "osdi"]
SUBCKT = "she_mtj"
OSDI_MODULE = "spinspice_she_mtj"
OSDI_MODEL = "shemtj"


def model_params(p: SheMtjParams) -> dict[str, float]:
    """Parameters of both implementations (R_P and I_sat are per-instance defaults)."""
    return {
        "rhm": p.r_hm_ohm,
        "fb": p.hm_split,
        "rp": p.r_p_ohm,
        "tmr0": p.tmr0,
        "vh": p.v_half_V,
        "isat": p.i_sat_A,
        "tau": p.tau_m_s,
        "eps": CLAMP_EPS,
    }


def behavioural_subcircuit(p: SheMtjParams) -> TemplateSubcircuit:
    """The ngspice subcircuit definition ``she_mtj a b t``."""
    return TemplateSubcircuit("she_mtj_behavioural.j2", SUBCKT, model_params(p))


def osdi_model_card(p: SheMtjParams) -> ModelCard:
    """The ``.model`` card of the OSDI twin (instance parameters rp, isat excluded)."""
    params = {k: v for k, v in model_params(p).items() if k not in ("rp", "isat")}
    return ModelCard(OSDI_MODEL, OSDI_MODULE, params)


def verilog_a_source() -> Path:
    """Path of the bundled Verilog-A source ``she_mtj.va``."""
    return Path(str(resources.files("spinspice") / "verilog_a" / "she_mtj.va"))


def instance(
    kind: SheModelKind,
    name: str,
    a: str,
    b: str,
    t: str,
    *,
    p: SheMtjParams,
    rp_factor: float = 1.0,
    isat_factor: float = 1.0,
) -> SubcktInstance | OsdiInstance:
    """One SHE-MTJ (``name`` without its element letter) with its variation factors."""
    params: dict[str, float] = {
        "rp": p.r_p_ohm * float(rp_factor),
        "isat": p.i_sat_A * float(isat_factor),
    }
    if kind == "behavioural":
        return SubcktInstance(f"X{name}", (a, b, t), SUBCKT, params)
    if kind == "osdi":
        return OsdiInstance(f"N{name}", (a, b, t), OSDI_MODEL, params)
    raise ValueError(f"unknown SHE-MTJ model kind {kind!r}")


def state_vector(kind: SheModelKind, path: tuple[str, ...]) -> str:
    """Raw-file name of the state node m of the SHE-MTJ at ``path`` (outermost first, the
    device's own name without its element letter last), lower case."""
    *outer, name = (x.lower() for x in path)
    if kind == "behavioural":
        return f"v({'.'.join([*outer, 'x' + name, 'm'])})"
    if outer:
        return f"v(n.{'.'.join([*outer, 'n' + name])}#m)"
    return f"v(n{name}#m)"
