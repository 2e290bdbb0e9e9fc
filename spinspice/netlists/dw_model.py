"""Domain-wall devices for netlists: the DW synapse and the racetrack nanowire (seed 004).

Two interchangeable implementations of the same equations each:

* ``behavioural``: ngspice subcircuits of B-sources (``templates/dw_synapse_behavioural.j2``,
  ``templates/dw_racetrack_behavioural.j2``; ``X`` instances);
* ``osdi``: the Verilog-A twins ``spinspice/verilog_a/dw_synapse.va`` and ``racetrack.va``
  compiled with OpenVAF to OSDI (``N`` instances).

The model parameters come from :class:`~spinspice.spintronic_cells.domain_wall.DWParams` and
:class:`~spinspice.spintronic_cells.domain_wall.RacetrackParams`; per-instance values (the
initial wall position, the bit of a nanowire) are instance parameters, so device-to-device
variation drawn in Python with a recorded seed enters as numbers.

Netlist-only choices (not physics): the dead-zone smoothing current ``eps`` = 0.1 % of I_th
(creep below threshold ~1e-6 of the velocity at 2 I_th), the end-stop window width
(2e-3 of the synapse travel, 1e-2 LSB of a racetrack) and the read-head transition sharpness
``es`` = 0.05 (the head conductance is within 1 % of G_P or G_AP more than 0.02 LSB from a
domain boundary).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from spinspice.netlists.circuit import (
    ModelCard,
    OsdiInstance,
    SubcktInstance,
    TemplateSubcircuit,
    Value,
)
from spinspice.spintronic_cells.domain_wall import DWParams, RacetrackParams

DWModelKind = Literal["behavioural", "osdi"]

SYNAPSE_SUBCKT = "dw_synapse"
SYNAPSE_OSDI_MODULE = "spinspice_dw_synapse"
SYNAPSE_OSDI_MODEL = "dwsyn"
RACETRACK_SUBCKT = "dw_racetrack"
RACETRACK_OSDI_MODULE = "spinspice_racetrack"
RACETRACK_OSDI_MODEL = "dwrt"

#: Dead-zone smoothing current as a fraction of I_th (see module docstring).
EPS_FRACTION = 1e-3
#: End-stop window width: synapse (normalised travel) and racetrack (LSB).
SYNAPSE_STOP_WIDTH = 2e-3
RACETRACK_STOP_WIDTH = 1e-2
#: Read-head transition sharpness of the racetrack.
HEAD_SHARPNESS = 0.05


def synapse_model_params(p: DWParams) -> dict[str, float]:
    """Model-level parameters of the DW synapse (shared by every instance)."""
    return {
        "rtrack": p.r_track_ohm,
        "gp": p.g_p_S,
        "gap": p.g_ap_S,
        "kx": p.mobility_m3_per_As / (p.area_m2 * p.length_m),
        "ith": p.i_th_A,
        "eps": EPS_FRACTION * p.i_th_A,
        "ws": SYNAPSE_STOP_WIDTH,
    }


def racetrack_model_params(r: RacetrackParams) -> dict[str, float]:
    """Model-level parameters of one racetrack nanowire."""
    p = r.strip
    return {
        "rw": r.wire_resistance_ohm,
        "gp": p.g_p_S,
        "gap": p.g_ap_S,
        "kd": p.mobility_m3_per_As / (p.area_m2 * r.lsb_m),
        "ith": p.i_th_A,
        "eps": EPS_FRACTION * p.i_th_A,
        "ws": RACETRACK_STOP_WIDTH,
        "dmax": float(r.max_code),
        "es": HEAD_SHARPNESS,
    }


def synapse_subcircuit(p: DWParams, name: str = SYNAPSE_SUBCKT) -> TemplateSubcircuit:
    """The behavioural synapse subcircuit (default start X = 1, the AP reset end)."""
    return TemplateSubcircuit(
        "dw_synapse_behavioural.j2", name, synapse_model_params(p) | {"x0": 1.0}
    )


def racetrack_subcircuit(r: RacetrackParams, name: str = RACETRACK_SUBCKT) -> TemplateSubcircuit:
    """The behavioural nanowire subcircuit (default LSB wire, walls at the start)."""
    return TemplateSubcircuit(
        "dw_racetrack_behavioural.j2", name, racetrack_model_params(r) | {"span": 1.0, "d0": 0.0}
    )


def synapse_model_card(p: DWParams, name: str = SYNAPSE_OSDI_MODEL) -> ModelCard:
    """``.model`` card of the OSDI synapse."""
    return ModelCard(name, SYNAPSE_OSDI_MODULE, synapse_model_params(p))


def racetrack_model_card(r: RacetrackParams, name: str = RACETRACK_OSDI_MODEL) -> ModelCard:
    """``.model`` card of the OSDI nanowire."""
    return ModelCard(name, RACETRACK_OSDI_MODULE, racetrack_model_params(r))


def _va(name: str) -> Path:
    return Path(str(resources.files("spinspice") / "verilog_a" / name))


def synapse_va_source() -> Path:
    """Path of the bundled ``dw_synapse.va``."""
    return _va("dw_synapse.va")


def racetrack_va_source() -> Path:
    """Path of the bundled ``racetrack.va``."""
    return _va("racetrack.va")


def synapse_instance(
    kind: DWModelKind,
    name: str,
    p0: str,
    p1: str,
    r0: str,
    r1: str,
    *,
    x0: Value,
    subckt: str = SYNAPSE_SUBCKT,
    model: str = SYNAPSE_OSDI_MODEL,
) -> SubcktInstance | OsdiInstance:
    """One synapse (``name`` without its element letter), initial position ``x0``."""
    nodes = (p0, p1, r0, r1)
    if kind == "behavioural":
        return SubcktInstance(f"X{name}", nodes, subckt, {"x0": x0})
    return OsdiInstance(f"N{name}", nodes, model, {"x0": x0})


def racetrack_instance(
    kind: DWModelKind,
    name: str,
    n_in: str,
    n_out: str,
    h0: str,
    h1: str,
    *,
    bit: int,
    d0: Value = 0.0,
    subckt: str = RACETRACK_SUBCKT,
    model: str = RACETRACK_OSDI_MODEL,
) -> SubcktInstance | OsdiInstance:
    """Nanowire ``bit`` (0 = LSB) of a racetrack converter."""
    params: dict[str, Value] = {"span": float(1 << bit), "d0": d0}
    nodes = (n_in, n_out, h0, h1)
    if kind == "behavioural":
        return SubcktInstance(f"X{name}", nodes, subckt, params)
    return OsdiInstance(f"N{name}", nodes, model, params)


def state_vector(kind: DWModelKind, path: tuple[str, ...], state: str = "x") -> str:
    """Raw-file name of a device's state node (``x`` synapse, ``d`` racetrack).

    ``path``: instance names outermost first, the device's own name (without its element
    letter) last; lower case.
    """
    *outer, name = (p.lower() for p in path)
    if kind == "behavioural":
        return f"v({'.'.join([*outer, 'x' + name, state])})"
    if outer:
        return f"v(n.{'.'.join([*outer, 'n' + name])}#{state})"
    return f"v(n{name}#{state})"
