"""Current-driven domain-wall (DW) devices of seed 004: synapse, racetrack ADC, recurrent neuron.

Device law (seed 004 eq. 1)
---------------------------
A charge current I along a magnetic strip of cross-section ``A = w·t`` moves a domain wall
with velocity

    v = (β·μ_B·P / (α·e·M_s)) · (J − J_th),   J = I / A,

and not at all while |J| ≤ J_th (intrinsic pinning). We write ``u = β·μ_B·P/(α·e·M_s)``
(m³/(A·s), the "mobility" of the wall). The sign convention of this toolkit: a
**positive** current (flowing from terminal ``p0`` to ``p1`` of the programming track)
moves the wall towards ``X = 1``; a negative one towards ``X = 0``; the law is odd in I.
A pulse of width T moves the wall by ``x = v·T`` (m); positions are normalised to the
free-layer length L, ``X = x / L`` ∈ [0, 1], and the wall **stops at the track ends**
(X is clipped to [0, 1] after every pulse).

Read conductance (seed 004 Fig. 1(b))
-------------------------------------
The read MTJ above the strip is a parallel connection of its P part (length 1 − X) and its
AP part (length X):

    G(X) = G_P·(1 − X) + G_AP·X.

So X = 0 is the high-conductance (P) end, X = 1 the low-conductance (AP) end. In a
crossbar with an offset column carrying I_AP the useful cell current is
``(G − G_AP)·V = (G_P − G_AP)·(1 − X)·V``: the *weight* of a synapse is ``w = 1 − X``.

Variation
---------
Each programming pulse's displacement is multiplied by ``(1 + σ_d2d·z_dev)`` (one draw per
device, held for its life: width/pinning differences) and by ``(1 + σ_p2p·z_k)`` (a fresh
draw per pulse: thermal and pinning stochasticity). Both σ are our choice (defaults 5 %
and 2 %); draws come from a ``numpy.random.Generator`` the caller seeds.

Racetrack converter (seed 004 Fig. 2, ref. [5] Dong et al. ISCAS 2015)
--------------------------------------------------------------------------
``bits`` nanowires carry the same input current in series, so every wall moves by the
same D = v·T_conv (clipped at the end stop ``(2^bits − 1)·Δ``). Wire b is written with
alternating domains of length ``2^b·Δ`` (Δ: LSB domain length), and starts Δ/2 before its
first wall, so the read head of wire b sees ``bit_b = floor((D + Δ/2)/(2^b·Δ)) mod 2`` and
the code is ``round(D/Δ)`` clipped to 0 … 2^bits − 1: a rectified-linear response with its
knee at I_th. A threshold-offset device adding I_offset to the residue current moves the
knee to ``I_res = I_th − I_offset``.

Recurrent neuron (seed 004 Fig. 4)
----------------------------------
The wall position accumulates cycle by cycle, ``Y_{t+1} = clip(Y_t + v(I_t)·T/L)``, and the
output is 1 once Y passes the read threshold ``Y_thr``. With a threshold-offset device
supplying I_offset = I_th the step is linear in the residue current,
``ΔY = u·I_res·T/(A·L)``.

Units: SI throughout (A, s, m, S, A/m, A/m²).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from spinspice.errors import ParameterError, require_positive

#: Bohr magneton, J/T (= A·m²) (CODATA 2018).
MU_B = 9.2740100783e-24
#: Elementary charge, C (exact, SI 2019).
Q_E = 1.602176634e-19

#: Largest relative device-to-device or pulse-to-pulse spread σ_d2d / σ_p2p accepted,
#: dimensionless; our choice: the factor (1 + σ·z) turns negative (a pulse moving the wall
#: backwards) for z < −1/σ, a 2.3 % tail at σ = 0.5 and more above it.
MAX_RELATIVE_SPREAD: Final = 0.5
#: Accepted strip width range, m (1 nm .. 10 µm); our choice: a sanity bound around the
#: 40–50 nm of published DW racetracks (docs/engineering_facts.md §7).
MIN_WIDTH_M: Final = 1e-9
MAX_WIDTH_M: Final = 1e-5
#: Accepted free-layer thickness range, m (0.1 nm .. 1 µm); our choice: a sanity bound around
#: the 1.5 nm of published DW racetracks (docs/engineering_facts.md §7).
MIN_THICKNESS_M: Final = 1e-10
MAX_THICKNESS_M: Final = 1e-6
#: Most weight bits of a DW synapse, bits (256 levels): the 8-bit quantised weights of seed 004
#: §IV (Fig. 8(d) sweeps the synapse weight bits); on the 500 nm preset track they are ~2 nm apart.
MAX_SYNAPSE_BITS: Final = 8
#: Most output bits of the racetrack converter, bits (64 codes, 6 nanowires); our choice:
#: with the 20 nm LSB the end stop is already at (2^6 − 1)·20 nm ≈ 1.3 µm.
MAX_ADC_BITS: Final = 6

FloatArray = NDArray[np.float64]


def _require_fraction(name: str, value: object, *, open_low: bool = True) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    if not (0.0 < value <= 1.0 if open_low else 0.0 <= value <= 1.0):
        raise ParameterError(f"{name} must be in {'(0, 1]' if open_low else '[0, 1]'}, got {value}")


def _require_nonneg(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    if value < 0:
        raise ParameterError(f"{name} must be >= 0, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class DWParams:
    """Material, geometry and read parameters of one DW strip with a read MTJ.

    Parameters
    ----------
    ms_A_per_m:
        Saturation magnetisation M_s, A/m. Default 7.0e5.
    polarization:
        Spin polarisation P of the current (0, 1]. Default 0.6.
    alpha:
        Gilbert damping α. Default 0.02.
    beta:
        Non-adiabatic spin-torque parameter β. Default 0.04.
    j_th_A_per_m2:
        Threshold (depinning) current density J_th, A/m². Default 1e11.
    width_m, thickness_m:
        Strip width w and free-layer thickness t, m. Defaults 50 nm and 1.5 nm.
    length_m:
        Free-layer length L the wall travels between the end stops, m. Default 500 nm.
    g_p_S, g_ap_S:
        Read conductance with the whole free layer parallel / antiparallel, S.
        Defaults 1/25 kΩ and 1/62.5 kΩ (G_P/G_AP = 2.5, seed 004 §III.B).
    rho_track_ohm_m:
        Resistivity of the programming strip, Ω·m. Default 1.6e-6 (160 µΩ·cm, CoFeB-like).
    sigma_d2d, sigma_p2p:
        Relative standard deviation of the displacement device to device (one draw per
        device) and pulse to pulse (one draw per pulse). Defaults 0.05 and 0.02.
    source:
        Where the values come from (see :data:`DW_PRESET_SOURCES` for the preset).
    """

    ms_A_per_m: float = 7.0e5
    polarization: float = 0.6
    alpha: float = 0.02
    beta: float = 0.04
    j_th_A_per_m2: float = 1e11
    width_m: float = 50e-9
    thickness_m: float = 1.5e-9
    length_m: float = 500e-9
    g_p_S: float = 1.0 / 25e3
    g_ap_S: float = 1.0 / 62.5e3
    rho_track_ohm_m: float = 1.6e-6
    sigma_d2d: float = 0.05
    sigma_p2p: float = 0.02
    source: str = field(default="user", compare=False)

    def __post_init__(self) -> None:
        for name in (
            "ms_A_per_m",
            "alpha",
            "beta",
            "j_th_A_per_m2",
            "width_m",
            "thickness_m",
            "length_m",
            "g_p_S",
            "g_ap_S",
            "rho_track_ohm_m",
        ):
            require_positive(name, getattr(self, name))
        _require_fraction("polarization", self.polarization)
        _require_nonneg("sigma_d2d", self.sigma_d2d)
        _require_nonneg("sigma_p2p", self.sigma_p2p)
        if self.sigma_d2d > MAX_RELATIVE_SPREAD or self.sigma_p2p > MAX_RELATIVE_SPREAD:
            raise ParameterError("sigma_d2d and sigma_p2p must be <= 0.5 (relative spreads)")
        if self.g_ap_S >= self.g_p_S:
            raise ParameterError(
                f"g_ap_S ({self.g_ap_S}) must be below g_p_S ({self.g_p_S}): AP conducts less"
            )
        if (
            not MIN_WIDTH_M <= self.width_m <= MAX_WIDTH_M
            or not MIN_THICKNESS_M <= self.thickness_m <= MAX_THICKNESS_M
        ):
            raise ParameterError("width_m must be in 1 nm..10 um and thickness_m in 0.1 nm..1 um")

    # ------------------------------------------------------------------ derived
    @property
    def area_m2(self) -> float:
        """Cross-section A = w·t of the strip, m²."""
        return self.width_m * self.thickness_m

    @property
    def mobility_m3_per_As(self) -> float:
        """u = β·μ_B·P/(α·e·M_s) of seed 004 eq. 1, m³/(A·s) (v = u·(J − J_th))."""
        return self.beta * MU_B * self.polarization / (self.alpha * Q_E * self.ms_A_per_m)

    @property
    def i_th_A(self) -> float:
        """Threshold current I_th = J_th·A, A."""
        return self.j_th_A_per_m2 * self.area_m2

    @property
    def r_track_ohm(self) -> float:
        """Resistance of the programming strip ρ·L/(w·t), Ω."""
        return self.rho_track_ohm_m * self.length_m / self.area_m2

    @property
    def on_off_ratio(self) -> float:
        """G_P / G_AP."""
        return self.g_p_S / self.g_ap_S

    def with_changes(self, **changes: object) -> DWParams:
        """A validated copy with some fields replaced."""
        return replace(self, **changes)  # type: ignore[arg-type]


#: Where each value of the ``seed004-dw`` preset comes from. "range" values lie in the
#: published DW-racetrack ranges of docs/engineering_facts.md §7 (seed 004
#: refs. [3, 10, 12, 13]); the point inside the range is our choice.
DW_PRESET_SOURCES: dict[str, str] = {
    "ms_A_per_m": "range 0.6-0.8 MA/m (published DW racetracks); 0.7 MA/m our choice",
    "polarization": "range 0.5-0.7; 0.6 our choice",
    "alpha": "alpha ~ 0.02 (published DW racetracks)",
    "beta": (
        "range 0.04-0.2; 0.04 our choice (gives v ~ 10 m/s at 15 uA, docs/engineering_facts.md §7)"
    ),
    "j_th_A_per_m2": "J_th ~ 1e11 A/m^2 (published DW racetracks)",
    "width_m": "range 40-50 nm; 50 nm our choice",
    "thickness_m": "1.5 nm, as in docs/engineering_facts.md §7 (I_th ~ 7.5 uA)",
    "length_m": "500 nm: our choice (16 weight levels of ~31 nm)",
    "g_p_S": "1/25 kOhm: our choice (RA ~ 625 Ohm um^2 over 500 nm x 50 nm)",
    "g_ap_S": "G_P / 2.5: seed 004 section III.B ('barely a 2.5x range')",
    "rho_track_ohm_m": "160 uOhm cm: our choice (CoFeB-like strip)",
    "sigma_d2d": "5 %: our choice",
    "sigma_p2p": "2 %: our choice",
}

#: Named DW parameter sets.
DW_PRESETS: dict[str, DWParams] = {
    "seed004-dw": DWParams(
        source=(
            "seed 004 (Dong et al.) eq. 1 and section III.B (G_P/G_AP = 2.5); material values in "
            "the published DW-racetrack ranges of docs/engineering_facts.md §7; geometry, "
            "resistances and variation our choice (see DW_PRESET_SOURCES)"
        )
    ),
}


def get_dw_preset(name: str) -> DWParams:
    """The DW preset called ``name`` (ParameterError listing the valid names otherwise)."""
    try:
        return DW_PRESETS[name]
    except KeyError:
        raise ParameterError(
            f"unknown DW preset {name!r}; available: {', '.join(sorted(DW_PRESETS))}"
        ) from None


# ---------------------------------------------------------------------- device law


def velocity_m_per_s(p: DWParams, i_A: ArrayLike) -> FloatArray:
    """Wall velocity of seed 004 eq. 1, m/s: ``sign(I)·u·max(|I|/A − J_th, 0)``.

    Positive current (p0 → p1) moves the wall towards X = 1.
    """
    i = np.asarray(i_A, dtype=float)
    j = np.abs(i) / p.area_m2
    out: FloatArray = np.sign(i) * p.mobility_m3_per_As * np.maximum(j - p.j_th_A_per_m2, 0.0)
    return out


def displacement(p: DWParams, i_A: ArrayLike, t_s: ArrayLike) -> FloatArray:
    """Normalised displacement ΔX = v·T/L of one pulse (before the end stops)."""
    out: FloatArray = velocity_m_per_s(p, i_A) * np.asarray(t_s, dtype=float) / p.length_m
    return out


def move(p: DWParams, x0: ArrayLike, i_A: ArrayLike, t_s: ArrayLike) -> FloatArray:
    """Position after one pulse, with the end stops: ``clip(X0 + ΔX, 0, 1)``."""
    out: FloatArray = np.clip(np.asarray(x0, dtype=float) + displacement(p, i_A, t_s), 0.0, 1.0)
    return out


def conductance_S(p: DWParams, x: ArrayLike) -> FloatArray:
    """Read conductance ``G = G_P·(1 − X) + G_AP·X``, S (X clipped to [0, 1])."""
    xc = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
    out: FloatArray = p.g_p_S * (1.0 - xc) + p.g_ap_S * xc
    return out


def pulse_width_s(p: DWParams, dx: ArrayLike, i_A: float) -> FloatArray:
    """Pulse width that moves the wall by ``|ΔX|`` at current ``|i_A|`` (> I_th), s."""
    v = float(np.abs(velocity_m_per_s(p, abs(i_A))))
    if v <= 0:
        raise ParameterError(
            f"programming current {abs(i_A):.3g} A is not above I_th = {p.i_th_A:.3g} A"
        )
    out: FloatArray = np.abs(np.asarray(dx, dtype=float)) * p.length_m / v
    return out


# ---------------------------------------------------------------------- programming


@dataclass(frozen=True, slots=True, kw_only=True)
class Programming:
    """How weights are written into DW synapses.

    Parameters
    ----------
    bits:
        Weight resolution: levels 0 … 2^bits − 1, weight w = level / (2^bits − 1),
        target position X = 1 − w. Default 4 (seed 004 Table I).
    i_prog_A:
        Programming current, A (must exceed I_th). Default 15 µA.
    mode:
        ``"width"``: reset to X = 1, then one pulse of width ∝ level (seed 004 §III.B,
        "varying finely controlled pulse width"); ``"count"``: ``level`` unit pulses of
        the LSB width.
    """

    bits: int = 4
    i_prog_A: float = 15e-6
    mode: Literal["width", "count"] = "width"

    def __post_init__(self) -> None:
        if (
            isinstance(self.bits, bool)
            or not isinstance(self.bits, int)
            or not 1 <= self.bits <= MAX_SYNAPSE_BITS
        ):
            raise ParameterError(f"bits must be an integer in 1..8, got {self.bits!r}")
        require_positive("i_prog_A", self.i_prog_A)
        if self.mode not in ("width", "count"):
            raise ParameterError(f"mode must be 'width' or 'count', got {self.mode!r}")

    @property
    def n_levels(self) -> int:
        """2^bits."""
        return 1 << self.bits

    def lsb_width_s(self, p: DWParams) -> float:
        """Pulse width of one weight LSB (ΔX = 1/(2^bits − 1)), s."""
        return float(pulse_width_s(p, 1.0 / (self.n_levels - 1), self.i_prog_A))


def program_positions(
    p: DWParams,
    prog: Programming,
    levels: ArrayLike,
    rng: np.random.Generator | None = None,
    *,
    d2d: ArrayLike | None = None,
) -> FloatArray:
    """Wall positions X after programming ``levels`` (integers 0 … 2^bits − 1).

    Each device starts at the reset end X = 1 and is moved towards X = 0 (negative current)
    by ``level`` LSBs, as one pulse of ``level × T_LSB`` (mode ``width``) or ``level``
    pulses of ``T_LSB`` (mode ``count``). With ``rng`` the displacement carries the
    device-to-device factor (``d2d``: per-device relative deviations z·σ_d2d, drawn here if
    not given) and pulse-to-pulse factors; without it, programming is ideal.
    """
    lv = np.asarray(levels)
    if lv.size and (np.any(lv < 0) or np.any(lv > prog.n_levels - 1) or np.any(lv != np.round(lv))):
        raise ParameterError(f"levels must be integers in 0..{prog.n_levels - 1}")
    lvf = lv.astype(float)
    step = 1.0 / (prog.n_levels - 1)
    if rng is None:
        dist = lvf * step
    else:
        dev = (
            rng.normal(0.0, p.sigma_d2d, lv.shape)
            if d2d is None
            else np.broadcast_to(np.asarray(d2d, dtype=float), lv.shape)
        )
        if prog.mode == "width":
            pulse = 1.0 + p.sigma_p2p * rng.standard_normal(lv.shape)
            dist = lvf * step * pulse
        else:  # sum of `level` independent unit pulses
            dist = step * (lvf + p.sigma_p2p * np.sqrt(lvf) * rng.standard_normal(lv.shape))
        dist = dist * (1.0 + dev)
    out: FloatArray = np.clip(1.0 - dist, 0.0, 1.0)
    return out


def pulse_train(
    p: DWParams,
    *,
    i_A: float,
    width_s: float,
    n_pulses: int,
    x0: float = 1.0,
    rng: np.random.Generator | None = None,
) -> FloatArray:
    """Positions after each of ``n_pulses`` identical pulses (index 0 = before any pulse).

    With ``rng``: one device-to-device factor for the device and a fresh pulse-to-pulse
    factor per pulse.
    """
    if n_pulses < 0:
        raise ParameterError("n_pulses must be >= 0")
    dx = float(displacement(p, i_A, width_s))
    xs = np.empty(n_pulses + 1)
    xs[0] = x0
    dev = 1.0 + (p.sigma_d2d * rng.standard_normal() if rng is not None else 0.0)
    for k in range(n_pulses):
        f = dev * (1.0 + (p.sigma_p2p * rng.standard_normal() if rng is not None else 0.0))
        xs[k + 1] = min(max(xs[k] + dx * f, 0.0), 1.0)
    return xs


def weights_from_positions(x: ArrayLike) -> FloatArray:
    """Synapse weight w = 1 − X (the part of the cell current above I_AP, normalised)."""
    out: FloatArray = 1.0 - np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
    return out


# ---------------------------------------------------------------------- racetrack ADC


@dataclass(frozen=True, slots=True, kw_only=True)
class RacetrackParams:
    """A ``bits``-bit racetrack converter (seed 004 Fig. 2).

    Parameters
    ----------
    strip:
        Material and geometry of the nanowires (``length_m`` is ignored: each wire's
        travel is ``(2^bits − 1)·Δ``); read heads are MTJs with ``strip.g_p_S``/``g_ap_S``
        conductance for bit 0 / bit 1.
    bits:
        Number of nanowires/bits. Default 3.
    lsb_m:
        Δ: domain length of the LSB wire, m. Default 20 nm (our choice).
    t_conv_s:
        Conversion time the input current flows, s. Default 5 ns (our choice).
    """

    strip: DWParams = field(default_factory=lambda: DW_PRESETS["seed004-dw"])
    bits: int = 3
    lsb_m: float = 20e-9
    t_conv_s: float = 5e-9

    def __post_init__(self) -> None:
        if (
            isinstance(self.bits, bool)
            or not isinstance(self.bits, int)
            or not 1 <= self.bits <= MAX_ADC_BITS
        ):
            raise ParameterError(f"bits must be an integer in 1..6, got {self.bits!r}")
        require_positive("lsb_m", self.lsb_m)
        require_positive("t_conv_s", self.t_conv_s)

    @property
    def max_code(self) -> int:
        """2^bits − 1."""
        return (1 << self.bits) - 1

    @property
    def travel_m(self) -> float:
        """End-stop travel (2^bits − 1)·Δ, m."""
        return self.max_code * self.lsb_m

    @property
    def i_lsb_A(self) -> float:
        """Input-current step of one code, A: Δ·A/(u·T_conv)."""
        p = self.strip
        return self.lsb_m * p.area_m2 / (p.mobility_m3_per_As * self.t_conv_s)

    @property
    def i_full_scale_A(self) -> float:
        """Current at which the walls just reach the end stop, A."""
        return self.strip.i_th_A + self.max_code * self.i_lsb_A

    @property
    def wire_resistance_ohm(self) -> float:
        """Resistance of one nanowire of length (2^bits)·Δ, Ω."""
        p = self.strip
        return p.rho_track_ohm_m * (self.max_code + 1) * self.lsb_m / p.area_m2

    def distance_m(self, i_A: ArrayLike) -> FloatArray:
        """Wall travel after T_conv, clipped to [0, travel], m (negative input: no motion)."""
        v = np.maximum(velocity_m_per_s(self.strip, i_A), 0.0)
        out: FloatArray = np.clip(v * self.t_conv_s, 0.0, self.travel_m)
        return out

    def bits_read(self, distance_m: ArrayLike) -> NDArray[np.int64]:
        """Bits seen by the read heads, shape (..., bits), LSB first."""
        y = np.asarray(distance_m, dtype=float) / self.lsb_m + 0.5
        k = np.arange(self.bits)
        out: NDArray[np.int64] = (np.floor(y[..., None] / (1 << k)).astype(np.int64)) % 2
        return out

    def code(self, i_A: ArrayLike) -> NDArray[np.int64]:
        """Output code for input current ``i_A`` (A) after one conversion."""
        b = self.bits_read(self.distance_m(i_A))
        out: NDArray[np.int64] = (b * (1 << np.arange(self.bits))).sum(axis=-1)
        return out

    def relu_code(self, i_res_A: ArrayLike, i_offset_A: float = 0.0) -> NDArray[np.int64]:
        """Code of the rectified-linear neuron: input I_res + I_offset (threshold-offset device)."""
        return self.code(np.asarray(i_res_A, dtype=float) + i_offset_A)


# ---------------------------------------------------------------------- recurrent neuron


@dataclass(frozen=True, slots=True, kw_only=True)
class RecurrentNeuronParams:
    """Recurrent DW neuron (seed 004 Fig. 4): accumulating wall + read threshold.

    Parameters
    ----------
    strip:
        DW strip (``length_m`` = travel between the end stops).
    t_cycle_s:
        Time the residue current flows in each cycle, s. Default 2 ns (our choice).
    y_threshold:
        Normalised read-MTJ position; output 1 while Y > y_threshold. Default 0.5.
    y0:
        Start position. Default 0.
    """

    strip: DWParams = field(default_factory=lambda: DW_PRESETS["seed004-dw"])
    t_cycle_s: float = 2e-9
    y_threshold: float = 0.5
    y0: float = 0.0

    def __post_init__(self) -> None:
        require_positive("t_cycle_s", self.t_cycle_s)
        _require_fraction("y_threshold", self.y_threshold)
        _require_fraction("y0", self.y0, open_low=False)

    def step(self, i_A: ArrayLike) -> FloatArray:
        """Unclipped per-cycle displacement for input current ``i_A``."""
        return displacement(self.strip, i_A, self.t_cycle_s)

    def trajectory(self, i_A: ArrayLike) -> tuple[FloatArray, NDArray[np.int64]]:
        """Positions after each cycle (end stops applied) and the outputs (Y > threshold)."""
        y = self.y0
        out = []
        for s in np.atleast_1d(self.step(i_A)):
            y = min(max(y + float(s), 0.0), 1.0)
            out.append(y)
        ys = np.asarray(out)
        return ys, (ys > self.y_threshold).astype(np.int64)


# ---------------------------------------------------------------------- majority vote


def vote_times_s(i_A: ArrayLike, c_F: float, v_m_V: float) -> FloatArray:
    """Time for each candidate current to charge its gate capacitor to the inverter
    switching point: t_j = C·V_M / I_j (seed 004 Fig. 5), s."""
    require_positive("c_F", c_F)
    require_positive("v_m_V", v_m_V)
    i = np.asarray(i_A, dtype=float)
    if np.any(i <= 0):
        raise ParameterError("vote currents must be > 0")
    out: FloatArray = c_F * v_m_V / i
    return out


def vote_ratio_limit(i_top_A: float, c_F: float, v_m_V: float, t_delay_s: float) -> float:
    """Smallest I_1/I_2 the time-domain vote resolves when the shut-off path takes
    ``t_delay_s``: the runner-up must not reach V_M before the switches open,
    ``C·V_M·(1/I_2 − 1/I_1) > t_d`` ⇒ ``I_1/I_2 > 1 + t_d·I_1/(C·V_M)``."""
    require_positive("t_delay_s", t_delay_s)
    return 1.0 + t_delay_s * i_top_A / (c_F * v_m_V)
