"""Energy of MAAP sets: per operation from ngspice, per image from seed 003 eq. 2.

Per operation
-------------
:func:`measure_op_energy` runs random operations on one MAAP set (K = 9, P = 4 by
default) in an ngspice transient and integrates the power every source delivers,
Σ −V·i(V) dt, divided by the number of operations. It includes the input OTAs (their
modelled bias and output currents, ``templates/maap_ota.j2``), the DACs charging the OTA
inputs, both cells and the coupling OTA of every activation pair, the bias sources and
the winner-take-all. The split by part is reported.

Per image (seed 003 eq. 2)
--------------------------
The extracted text of eq. 2 and of Table 1 lost their symbols. We read them as

    E_image = R·N_MAAP·E_MAAP + B·N_mem·E_mem + N_ADC·E_ADC + B²·N_mult·E_mult

with Table 1's counts N and per-operation energies E_mem = 41.8 fJ (per bit of a 16 nm
6T-SRAM access, seed ref. [13]), E_ADC = 1 pJ (Stanford ADC survey, ref. [14]),
E_mult = 125.4 fJ (per gate; "approximately B² gates for B bits"). This reading is
ours; it is checked by the seed's own totals: with the seed's E_MAAP (0.9 pJ at 4 bits,
7.2 pJ at 32 bits, i.e. 0.225 pJ per bit) it gives 80.6 nJ for B = 4, R = 16 and 964 nJ
for B = 32, R = 16, the "about 80 nJ" and "about 1000 nJ" of §4.2
(:func:`seed_maap_op_J`, test ``test_eq2_reproduces_the_seed_totals``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spinspice.analysis.runner import Engine, run_one
from spinspice.array_builder.maap import MaapDesign, maap_job
from spinspice.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

#: Table 1 of seed 003: energy per memory bit access (16 nm 6T SRAM, ref. [13]), J.
E_MEMORY_BIT_J = 41.8e-15
#: Table 1: energy per ADC conversion (Stanford ADC survey, P/f_Nyquist, ref. [14]), J.
E_ADC_J = 1.0e-12
#: Table 1: energy per multiply gate (16 nm transistor data; B² gates per B-bit product), J.
E_MULTIPLY_GATE_J = 125.4e-15
#: The seed's MAAP operation energy per bit: 0.9 pJ at 4 bits … 7.2 pJ at 32 bits, J.
SEED_MAAP_J_PER_BIT = 0.9e-12 / 4


def seed_maap_op_J(bits: int) -> float:
    """The seed's E_MAAP at ``bits`` (0.9 pJ at 4, 7.2 pJ at 32: linear in B), J."""
    return SEED_MAAP_J_PER_BIT * bits


@dataclass(frozen=True, slots=True)
class OpCounts:
    """Operations needed to classify one image (before the B and R factors of eq. 2)."""

    name: str
    maap: int
    memory: int
    adc: int
    multiply: int
    source: str

    def __post_init__(self) -> None:
        for what in ("maap", "memory", "adc", "multiply"):
            v = getattr(self, what)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ParameterError(f"{what} count must be an integer >= 0, got {v!r}")


TABLE1_COUNTS = OpCounts(
    name="seed003-table1",
    maap=3904,
    memory=85328,
    adc=3904,
    multiply=3088,
    source="seed 003 Table 1 (MNIST network of its Fig. 2, not given in the text)",
)


@dataclass(frozen=True, slots=True)
class OpEnergy:
    """Simulated energy per MAAP operation and its split by part (J)."""

    e_op_J: float
    split_J: dict[str, float]
    vectors: int
    inputs: int
    windows: int
    t_op_s: float

    @property
    def power_W(self) -> float:
        """Mean power of one busy MAAP set, W."""
        return self.e_op_J / self.t_op_s


def measure_op_energy(
    engine: Engine,
    d: MaapDesign,
    *,
    vectors: int = 40,
    inputs: int = 9,
    windows: int = 4,
    seed: int = 0,
    osdi_path: Path | None = None,
) -> OpEnergy:
    """Energy per MAAP operation, averaged over ``vectors`` random operations (module doc)."""
    from spinspice.analysis.maap import random_products

    if vectors < 1:
        raise ParameterError("vectors must be >= 1")
    prods = random_products(np.random.default_rng(seed), vectors, windows, inputs)
    res = run_one(
        engine,
        maap_job(d, prods, key=f"maap/energy/{windows}x{inputs}", osdi_path=osdi_path),
    )
    tr = res.plot("tran")
    t = tr["time"]

    def integral(p: np.ndarray) -> float:
        return float(np.sum(0.5 * (p[1:] + p[:-1]) * np.diff(t)))

    gm = d.i_unit_A / d.v_unit_V
    p_ota = np.zeros_like(t)
    p_dac = np.zeros_like(t)
    for w in range(windows):
        for k in range(inputs):
            v = tr[f"v(i{w}_{k}in)"]
            p_ota += d.vdd_V * (d.ota_iq_A + np.abs(d.ota_imax_A * np.tanh(gm * v / d.ota_imax_A)))
            p_dac += -v * tr[f"i(vi{w}_{k})"]
    p_vdd = -d.vdd_V * tr["i(vdd)"]
    p_vss = -d.vss_V * tr["i(vss)"]
    split = {
        "input OTAs": integral(p_ota) / vectors,
        "DACs": integral(p_dac) / vectors,
        "cells, coupling OTAs, WTA (V_dd)": (integral(p_vdd) - integral(p_ota)) / vectors,
        "WTA tail (V_ss)": integral(p_vss) / vectors,
    }
    return OpEnergy(sum(split.values()), split, vectors, inputs, windows, d.t_op_s)


def image_energy(
    e_maap_op_J: float, bits: int, redundancy: int, counts: OpCounts
) -> dict[str, float]:
    """The four terms of eq. 2 and their sum for one image (module doc), J."""
    if bits < 1 or redundancy < 1:
        raise ParameterError("bits and redundancy must be >= 1")
    e_maap = redundancy * counts.maap * e_maap_op_J
    e_mem = bits * counts.memory * E_MEMORY_BIT_J
    e_adc = counts.adc * E_ADC_J
    e_mul = bits**2 * counts.multiply * E_MULTIPLY_GATE_J
    return {
        "e_maap_J": e_maap,
        "e_memory_J": e_mem,
        "e_adc_J": e_adc,
        "e_multiply_J": e_mul,
        "e_image_J": e_maap + e_mem + e_adc + e_mul,
    }


def energy_table(
    e_maap_op_J: float, bits: Sequence[int], redundancy: Sequence[int], counts: OpCounts
) -> pd.DataFrame:
    """One row per (bits, redundancy): our simulated E_MAAP and, beside it, the seed's."""
    import pandas as pd

    rows = []
    for b in bits:
        for r in redundancy:
            ours = image_energy(e_maap_op_J, b, r, counts)
            seed_op = seed_maap_op_J(b)
            seed = image_energy(seed_op, b, r, counts)
            rows.append(
                {
                    "bits": b,
                    "redundancy": r,
                    "e_maap_op_J": e_maap_op_J,
                    **ours,
                    "e_maap_op_seed_J": seed_op,
                    "e_image_seed_op_J": seed["e_image_J"],
                    "n_maap": r * counts.maap,
                    "n_memory": counts.memory,
                    "n_adc": counts.adc,
                    "n_multiply": counts.multiply,
                    "network": counts.name,
                }
            )
    return pd.DataFrame(rows)


def plot_energy(df: pd.DataFrame, path: Path) -> None:
    """Stacked per-image energy by operation for every (bits, redundancy)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinspice.analysis.tables import write_atomic

    labels = [f"{b}b R{r}" for b, r in zip(df["bits"], df["redundancy"], strict=True)]
    x = np.arange(len(df))
    fig, ax = plt.subplots(figsize=(max(5.0, 0.7 * len(df)), 3.8))
    bottom = np.zeros(len(df))
    for col, name in (
        ("e_maap_J", "MAAP (simulated)"),
        ("e_memory_J", "memory"),
        ("e_adc_J", "ADC"),
        ("e_multiply_J", "multiply"),
    ):
        v = df[col].to_numpy() * 1e9
        ax.bar(x, v, bottom=bottom, label=name)
        bottom += v
    ax.plot(x, df["e_image_seed_op_J"] * 1e9, "k_", ms=18, mew=2, label="with the seed's E_MAAP")
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("energy per image (nJ)")
    ax.set_title(f"seed 003 eq. 2, counts: {df['network'].iloc[0]}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    write_atomic(path, lambda p: fig.savefig(p, format=path.suffix.lstrip(".") or "png", dpi=130))
    plt.close(fig)


# --------------------------------------------------------------------------- Table 1 search


def _conv_out(n: int, k: int, same: bool) -> int:
    return n if same else n - k + 1


def search_table1_networks(
    counts: OpCounts = TABLE1_COUNTS, *, image: int = 28, max_filters: int = 128
) -> pd.DataFrame:
    """Look for a CNN whose operation counts give Table 1 (seed 003 Fig. 2 is not in the
    text).

    Search space: one or two conv layers (kernel 2–7, stride 1, valid or same padding,
    1–``max_filters`` filters, non-overlapping p×p pooling, p = 1–4; MNIST input
    ``image``² with one channel), each conv+ReLU+pool realised by MAAP operations, one per
    pooled output (N_MAAP = Σ F·H_pool²), followed by one FC layer to 10 classes. For every
    network with N_MAAP = Table 1's count the candidate multiply and memory counts of the
    conventions below are tested against Table 1:

    * multiply: w·x products fed to the OTAs (Σ N_MAAP,l·C_l·k²·p²), FC MACs, or both;
      conv weights + FC weights;
    * memory (words): products + weights + stored outputs, in the combinations above.

    Returns the networks matching N_MAAP with flags ``multiply_match`` and
    ``memory_match``; a network reproducing Table 1 has both.
    """
    import pandas as pd

    rows = []
    for k1 in range(2, 8):
        for same1 in (False, True):
            c1 = _conv_out(image, k1, same1)
            for p1 in (1, 2, 3, 4):
                h1 = c1 // p1
                if h1 < 1:
                    continue
                for f1 in range(1, max_filters + 1):
                    m1 = f1 * h1 * h1
                    if m1 > counts.maap:
                        break
                    layers = [(m1, 1, k1, p1, f1, h1)]
                    if m1 == counts.maap:
                        rows.append(_candidate(layers, counts))
                    for k2 in range(2, 8):
                        for same2 in (False, True):
                            c2 = _conv_out(h1, k2, same2)
                            for p2 in (1, 2, 3, 4):
                                h2 = c2 // p2 if c2 > 0 else 0
                                rest = counts.maap - m1
                                if h2 < 1 or rest <= 0 or rest % (h2 * h2):
                                    continue
                                f2 = rest // (h2 * h2)
                                if f2 > 4 * max_filters:
                                    continue
                                rows.append(
                                    _candidate([*layers, (rest, f1, k2, p2, f2, h2)], counts)
                                )
    return pd.DataFrame(rows)


def _candidate(
    layers: list[tuple[int, int, int, int, int, int]], counts: OpCounts
) -> dict[str, object]:
    prods = sum(m * c * k * k * p * p for m, c, k, p, _, _ in layers)
    wconv = sum(f * c * k * k for _, c, k, _, f, _ in layers)
    outs = sum(m for m, *_ in layers)
    feat = layers[-1][0]
    fc = 10 * feat
    mult_options = {prods, fc, prods + fc, wconv + fc, wconv + fc + 10}
    mem_options = {
        a + b + c
        for a in (prods, 0)
        for b in (0, wconv, wconv + fc)
        for c in (0, outs, outs + feat, outs + 10)
    }
    desc = " + ".join(f"conv{k}x{k}/{f}f pool{p} -> {f}x{h}x{h}" for _, _, k, p, f, h in layers)
    return {
        "network": desc,
        "layers": len(layers),
        "maap": outs,
        "multiply_match": counts.multiply in mult_options,
        "memory_match": counts.memory in mem_options,
    }
