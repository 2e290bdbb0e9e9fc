"""Behavioural MTJ instances for netlists: fitted law + per-instance random draws.

Two interchangeable implementations of the same equations (see
``templates/mtj_stt_behavioural.j2`` and ``spinspice/verilog_a/mtj_stt.va``):

* ``behavioural``: an ngspice subcircuit of B-sources (``X`` instances);
* ``osdi``: the Verilog-A twin compiled with OpenVAF to OSDI (``N`` instances).

Per-instance randomness — the switching thresholds L = ln(π/(2|θ|)), θ ~ N(0, θ0,d) of
each direction — is drawn here with a recorded seed (:class:`MTJDraws`), so a simulation
is reproducible and its random numbers can be reported next to its results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np

from spinspice.netlists.circuit import (
    ModelCard,
    OsdiInstance,
    SubcktInstance,
    TemplateSubcircuit,
    Value,
)
from spinspice.spintronic_cells.fit import BehaviouralFit, DirectionFit
from spinspice.spintronic_cells.thermal_law import NO_HOP_THRESHOLD

MTJModelKind = Literal["behavioural", "osdi"]
SUBCKT = "mtj_stt"
OSDI_MODULE = "spinspice_mtj_stt"
OSDI_MODEL = "mtjstt"


def _thermal_params(d: DirectionFit, tag: str) -> dict[str, float]:
    """The thermal regime's model parameters of one direction (zero rate without one)."""
    th = d.thermal
    if th is None:
        return {f"nb_{tag}": 0.0, f"kth_{tag}": 0.0, f"ih_{tag}": 1.0e-4, f"h0_{tag}": 0.0,
                f"tw_{tag}": 1.0e-9}
    return {
        f"nb_{tag}": th.rate0_Hz,
        f"kth_{tag}": th.slope_per_A,
        f"ih_{tag}": th.ih_A,
        f"h0_{tag}": th.h0,
        f"tw_{tag}": th.tau_w_s,
    }


def model_params(fit: BehaviouralFit) -> dict[str, float]:
    """Model-level parameters shared by every instance (both regimes)."""
    return _thermal_params(fit.ap_to_p, "ap2p") | _thermal_params(fit.p_to_ap, "p2ap") | {
        "rp": fit.r_on_ohm,
        "tmr0": fit.tmr0,
        "vh": fit.v_half_V,
        "ic_ap2p": fit.ap_to_p.ic_A,
        "c_ap2p": fit.ap_to_p.c_As,
        "ic_p2ap": fit.p_to_ap.ic_A,
        "c_p2ap": fit.p_to_ap.c_As,
        "tsw": fit.tsw_s,
    }


#: Smallest switching threshold. A draw with |θ| ≥ π/2 (the fitted θ0 ≈ 0.65 rad makes it
#: ~1.5 % of draws) starts past the barrier: it switches as soon as the current exceeds
#: I_c. A threshold of exactly 0 would sit on the model's tanh step (width 1e-3) and creep
#: at zero current, so it is floored at 0.01 (≈ 1 ps of progress at 1 V).
L_FLOOR = 0.01


def _threshold(theta_rad: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.maximum(np.log(np.pi / (2.0 * np.abs(theta_rad))), L_FLOOR)
    return out


@dataclass(frozen=True, slots=True)
class MTJDraws:
    """Per-instance random thresholds (and the seed that produced them).

    ``e_ap2p``/``e_p2ap`` are the thermal regime's thresholds E ~ Exp(1) (None in draws
    made without them: those instances never hop thermally).
    """

    seed: int
    theta_ap2p_rad: np.ndarray
    theta_p2ap_rad: np.ndarray
    e_ap2p: np.ndarray | None = None
    e_p2ap: np.ndarray | None = None

    def split(self, k: int) -> tuple[MTJDraws, MTJDraws]:
        """The first ``k`` instances and the rest (same seed recorded on both)."""
        def cut(a: np.ndarray | None, sl: slice) -> np.ndarray | None:
            return None if a is None else a[sl]

        head, tail = slice(None, k), slice(k, None)
        return (
            MTJDraws(self.seed, self.theta_ap2p_rad[head], self.theta_p2ap_rad[head],
                     cut(self.e_ap2p, head), cut(self.e_p2ap, head)),
            MTJDraws(self.seed, self.theta_ap2p_rad[tail], self.theta_p2ap_rad[tail],
                     cut(self.e_ap2p, tail), cut(self.e_p2ap, tail)),
        )

    def thermal_thresholds(self, k: int) -> tuple[float, float]:
        """(e_ap2p, e_p2ap) of instance ``k`` (the never-hop threshold without draws)."""
        if self.e_ap2p is None or self.e_p2ap is None:
            return NO_HOP_THRESHOLD, NO_HOP_THRESHOLD
        return float(self.e_ap2p[k]), float(self.e_p2ap[k])

    @property
    def l_ap2p(self) -> np.ndarray:
        """Thresholds ln(π/(2|θ|)) of AP→P, floored at :data:`L_FLOOR`."""
        return _threshold(self.theta_ap2p_rad)

    @property
    def l_p2ap(self) -> np.ndarray:
        """Thresholds ln(π/(2|θ|)) of P→AP, floored at :data:`L_FLOOR`."""
        return _threshold(self.theta_p2ap_rad)


def draw(fit: BehaviouralFit, n: int, seed: int, *, stratified: bool = False) -> MTJDraws:
    """Draw ``n`` instances' initial angles θ ~ N(0, θ0,d) for both directions.

    ``stratified``: one draw from each of ``n`` equal-probability strata of the normal
    distribution (θ = θ0·Φ⁻¹((k + u_k)/n), the strata in random order). Each instance is
    still N(0, θ0) distributed, but the sample's P_sw estimate no longer carries the
    binomial sampling noise of the draws (it is a test of the model, not of the random
    numbers); the default, independent draws, is what a real array's devices are.
    """
    rng = np.random.default_rng(seed)
    if not stratified:
        theta_ap2p = rng.normal(0.0, fit.ap_to_p.theta0_rad, n)
        theta_p2ap = rng.normal(0.0, fit.p_to_ap.theta0_rad, n)
        # thermal thresholds E ~ Exp(1) after the angles: a seed's angles are unchanged
        return MTJDraws(
            seed=seed,
            theta_ap2p_rad=theta_ap2p,
            theta_p2ap_rad=theta_p2ap,
            e_ap2p=rng.exponential(1.0, n),
            e_p2ap=rng.exponential(1.0, n),
        )
    from scipy.special import ndtri

    def strata(theta0: float) -> np.ndarray:
        u = (rng.permutation(n) + rng.random(n)) / n
        out: np.ndarray = theta0 * ndtri(u)
        return out

    return MTJDraws(
        seed=seed,
        theta_ap2p_rad=strata(fit.ap_to_p.theta0_rad),
        theta_p2ap_rad=strata(fit.p_to_ap.theta0_rad),
        e_ap2p=rng.exponential(1.0, n),
        e_p2ap=rng.exponential(1.0, n),
    )


def behavioural_subcircuit(fit: BehaviouralFit) -> TemplateSubcircuit:
    """The ngspice subcircuit definition (defaults: AP start, median thresholds)."""
    params = model_params(fit) | {
        "l_ap2p": math.log(2.0),
        "l_p2ap": math.log(2.0),
        "s0": 1.0,
        "e_ap2p": NO_HOP_THRESHOLD,
        "e_p2ap": NO_HOP_THRESHOLD,
    }
    return TemplateSubcircuit("mtj_stt_behavioural.j2", SUBCKT, params)


def osdi_model_card(fit: BehaviouralFit) -> ModelCard:
    """The ``.model`` card of the OSDI twin."""
    return ModelCard(OSDI_MODEL, OSDI_MODULE, model_params(fit))


def verilog_a_source() -> Path:
    """Path of the bundled Verilog-A source ``mtj_stt.va``."""
    return Path(str(resources.files("spinspice") / "verilog_a" / "mtj_stt.va"))


def instance(
    kind: MTJModelKind,
    name: str,
    free: str,
    fixed: str,
    *,
    l_ap2p: float,
    l_p2ap: float,
    state: Literal["P", "AP"],
    e_ap2p: float | None = None,
    e_p2ap: float | None = None,
) -> SubcktInstance | OsdiInstance:
    """One MTJ instance (``name`` without its element letter) between ``free`` and ``fixed``.

    ``e_ap2p``/``e_p2ap`` are its thermal thresholds (:class:`MTJDraws`); without them the
    instance takes the model default, which never hops thermally.
    """
    s0 = 1.0 if state == "AP" else 0.0
    return parametric_instance(
        kind, name, free, fixed, l_ap2p=float(l_ap2p), l_p2ap=float(l_p2ap), s0=s0,
        e_ap2p=None if e_ap2p is None else float(e_ap2p),
        e_p2ap=None if e_p2ap is None else float(e_p2ap),
    )


def parametric_instance(
    kind: MTJModelKind,
    name: str,
    free: str,
    fixed: str,
    *,
    l_ap2p: Value,
    l_p2ap: Value,
    s0: Value,
    e_ap2p: Value | None = None,
    e_p2ap: Value | None = None,
) -> SubcktInstance | OsdiInstance:
    """An MTJ instance whose draws/state may be parameters of an enclosing subcircuit.

    ``s0`` is the start state, 1.0 = AP, 0.0 = P (or a :class:`Param` naming it);
    ``e_*`` the thermal thresholds (omitted: the model default, no thermal hop).
    """
    params: dict[str, Value] = {"l_ap2p": l_ap2p, "l_p2ap": l_p2ap, "s0": s0}
    if e_ap2p is not None:
        params["e_ap2p"] = e_ap2p
    if e_p2ap is not None:
        params["e_p2ap"] = e_p2ap
    if kind == "behavioural":
        return SubcktInstance(f"X{name}", (free, fixed), SUBCKT, params)
    return OsdiInstance(f"N{name}", (free, fixed), OSDI_MODEL, params)


def state_vector(kind: MTJModelKind, path: tuple[str, ...]) -> str:
    """Raw-file name of the state node s of the MTJ at ``path`` (instance names, outermost
    first, the MTJ's own name without its element letter last), lower case."""
    *outer, name = (p.lower() for p in path)
    if kind == "behavioural":
        return f"v({'.'.join([*outer, 'x' + name, 's'])})"
    if outer:  # ngspice names OSDI devices inside subcircuits n.<path>.n<name>
        return f"v(n.{'.'.join([*outer, 'n' + name])}#s)"
    return f"v(n{name}#s)"


def osdi_files(kind: MTJModelKind) -> tuple[Path, ...]:
    """Compiled models a deck with MTJs of ``kind`` must load (none for ``behavioural``).

    The Verilog-A twin is compiled with ``openvaf-r`` once per source content
    (:func:`~spinspice.netlists.osdi.compile_va` names the output by the source hash).
    """
    if kind == "behavioural":
        return ()
    from spinspice.netlists.osdi import compile_va

    return (compile_va(verilog_a_source()),)
