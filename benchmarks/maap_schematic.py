"""Draw the MAAP schematics of docs/maap.md (matplotlib; element values from MaapDesign).

.venv/bin/python benchmarks/maap_schematic.py docs/figures/maap_schematic.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyBboxPatch, Polygon, Rectangle

from spinspice.array_builder.maap import MaapDesign


def wire(ax: Axes, *pts: tuple[float, float]) -> None:
    xs, ys = zip(*pts, strict=True)
    ax.plot(xs, ys, "k-", lw=1.2)


def resistor(ax: Axes, x: float, y0: float, y1: float, label: str, left: bool = False) -> None:
    h = y1 - y0
    wire(ax, (x, y0), (x, y0 + 0.25 * h))
    ax.add_patch(Rectangle((x - 0.12, y0 + 0.25 * h), 0.24, 0.5 * h, fill=False, lw=1.2))
    wire(ax, (x, y0 + 0.75 * h), (x, y1))
    ax.text(
        x - 0.2 if left else x + 0.2,
        y0 + 0.5 * h,
        label,
        va="center",
        fontsize=8,
        ha="right" if left else "left",
    )


def hresistor(ax: Axes, x0: float, x1: float, y: float, label: str) -> None:
    w = x1 - x0
    wire(ax, (x0, y), (x0 + 0.25 * w, y))
    ax.add_patch(Rectangle((x0 + 0.25 * w, y - 0.1), 0.5 * w, 0.2, fill=False, lw=1.2))
    wire(ax, (x0 + 0.75 * w, y), (x1, y))
    ax.text(x0 + 0.5 * w, y + 0.18, label, ha="center", fontsize=8)


def inverter(ax: Axes, x: float, y: float, label: str) -> None:
    ax.add_patch(Polygon([(x, y - 0.35), (x, y + 0.35), (x + 0.6, y)], fill=False, lw=1.2))
    ax.add_patch(Circle((x + 0.66, y), 0.06, fill=False, lw=1.2))
    ax.text(x + 0.1, y - 0.6, label, fontsize=8)


def ground(ax: Axes, x: float, y: float) -> None:
    wire(ax, (x, y), (x, y - 0.15))
    for i, w in enumerate((0.25, 0.16, 0.07)):
        wire(ax, (x - w, y - 0.15 - 0.07 * i), (x + w, y - 0.15 - 0.07 * i))


def isource(ax: Axes, x: float, y: float, label: str) -> None:
    ax.add_patch(Circle((x, y), 0.22, fill=False, lw=1.2))
    ax.annotate("", (x, y - 0.14), (x, y + 0.14), arrowprops={"arrowstyle": "->", "lw": 1})
    ax.text(x + 0.3, y, label, va="center", fontsize=8)


def box(ax: Axes, x: float, y: float, w: float, h: float, text: str, color: str = "w") -> None:
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", fc=color, ec="k", lw=1.1))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8)


def draw_cell(ax: Axes, d: MaapDesign) -> None:
    she = d.she
    ax.set_title("(a) SHE-MTJ cell (one of two per activation pair)", fontsize=10)
    # heavy metal strip
    ax.add_patch(Rectangle((0.6, 0.9), 3.2, 0.35, fc="0.75", ec="k"))
    ax.text(
        2.2,
        0.6,
        f"heavy metal, R_HM = {she.r_hm_ohm:.0f} Ω (f_b = {she.hm_split:g})",
        ha="center",
        fontsize=8,
    )
    wire(ax, (0.2, 1.07), (0.6, 1.07))
    ax.text(-0.6, 1.3, "input a\n(Σ OTA currents)", fontsize=8)
    wire(ax, (3.8, 1.07), (4.2, 1.07))
    ground(ax, 4.2, 1.07)
    ax.text(4.35, 1.2, "constant b", fontsize=8)
    # MTJ pillar near the constant end
    ax.add_patch(Rectangle((2.9, 1.25), 0.5, 0.55, fc="tab:orange", ec="k"))
    ax.text(
        2.45, 1.9, f"MTJ R_P = {she.r_p_ohm / 1e3:.1f} kΩ\nTMR {she.tmr0:g}", fontsize=8, ha="right"
    )
    wire(ax, (3.15, 1.8), (3.15, 2.6))
    # divider node d
    ax.plot(3.15, 2.6, "ko", ms=4)
    ax.text(2.85, 2.62, "d", fontsize=9)
    resistor(ax, 3.15, 2.6, 4.2, f"R_ref = {d.r_ref_ohm / 1e3:.1f} kΩ", left=True)
    ax.text(3.0, 4.3, "V_dd = 1 V", fontsize=8)
    wire(ax, (3.15, 2.6), (4.4, 2.6))
    inverter(
        ax,
        4.4,
        2.6,
        f"CMOS inverter\nW_n/W_p = {d.wn_m * 1e9:.0f}/{d.wp_m * 1e9:.0f} nm,"
        f" L = {d.l_m * 1e9:.0f} nm",
    )
    wire(ax, (5.12, 2.6), (6.2, 2.6))
    ax.plot(6.2, 2.6, "ko", ms=4)
    ax.text(6.3, 2.55, "out", fontsize=9)
    # feedback resistor
    wire(ax, (5.7, 2.6), (5.7, 3.4))
    hresistor(ax, 3.6, 5.7, 3.4, f"R_f = {d.r_f_ohm / 1e3:.0f} kΩ")
    wire(ax, (3.6, 3.4), (3.6, 2.6))
    ax.text(
        -0.6,
        4.6,
        "V_out ≈ V_M + R_f (V_M G(m) − (V_dd − V_M)/R_ref)\n"
        "G(m) linear in m, m = clamp(I_HM / I_sat)\n"
        f"I_sat = {she.i_sat_A * 1e6:.1f} µA, τ_m = {she.tau_m_s * 1e9:g} ns",
        fontsize=8,
    )
    ax.set_xlim(-0.8, 7.2)
    ax.set_ylim(0.2, 5.0)


def draw_set(ax: Axes, d: MaapDesign) -> None:
    ax.set_title("(b) MAAP set: K weighted inputs × P windows → max-pool(ReLU)", fontsize=10)
    gm = d.i_unit_A / d.v_unit_V
    for p, y in enumerate((3.2, 1.0)):
        label = "window 1" if p == 0 else "window P"
        for k in range(3):
            box(ax, 0.0, y + 0.55 - 0.45 * k, 0.9, 0.3, "DAC+OTA", "#e8f0ff")
            wire(ax, (0.95, y + 0.7 - 0.45 * k), (1.3, y + 0.7 - 0.45 * k), (1.3, y + 0.25))
        ax.text(0.0, y + 1.05, f"{label}: K OTAs, g_m = {gm * 1e3:.2f} mS", fontsize=8)
        wire(ax, (1.3, y + 0.25), (1.6, y + 0.25))
        box(ax, 1.6, y, 1.1, 0.5, "cell 1\n(Σ, HM)", "#fff3e0")
        isource(ax, 2.15, y - 0.45, f"{d.bias1_fraction:g}·I_sat")
        wire(ax, (2.15, y - 0.23), (2.15, y))
        wire(ax, (2.75, y + 0.25), (3.1, y + 0.25))
        box(ax, 3.1, y, 1.0, 0.5, f"coupling OTA\n{d.gm_c_S * 1e3:.2f} mS", "#e8f0ff")
        wire(ax, (4.15, y + 0.25), (4.5, y + 0.25))
        box(ax, 4.5, y, 1.1, 0.5, "cell 2\n(ReLU knee)", "#fff3e0")
        box(ax, 4.5, y + 0.65, 1.1, 0.32, f"trim DAC {d.trim_bits} b", "#fde8e8")
        wire(ax, (5.05, y + 0.65), (5.05, y + 0.5))
        isource(ax, 5.05, y - 0.45, "I_sat")
        wire(ax, (5.05, y - 0.23), (5.05, y))
        wire(ax, (5.65, y + 0.25), (6.3, y + 0.25))
        # follower
        box(ax, 6.3, y, 0.9, 0.5, "NMOS\nfollower", "#e8ffe8")
        wire(ax, (7.25, y + 0.25), (7.6, y + 0.25), (7.6, 2.35))
    ax.text(2.0, 2.45, "⋮", fontsize=16)
    box(ax, 3.1, 2.1, 1.0, 0.45, "replica\ncell 1 (0 in)", "#f3f3f3")
    wire(ax, (3.6, 2.1), (3.6, 1.5))
    wire(ax, (3.6, 2.55), (3.6, 3.2))
    wire(ax, (7.6, 2.35), (8.2, 2.35))
    ax.plot(8.2, 2.35, "ko", ms=4)
    ax.text(8.3, 2.4, "out = max_p(ReLU) − V_GS", fontsize=8)
    isource(ax, 7.6, 1.85 - 0.6, f"I_tail {d.i_tail_A * 1e6:.0f} µA\nto V_ss")
    wire(ax, (7.6, 1.47), (7.6, 2.35))
    ax.text(
        4.5,
        4.4,
        f"trim: ±{d.trim_max_code} × {d.trim_lsb_A * 1e6:.2f} µA into cell 2's d",
        fontsize=8,
    )
    ax.text(7.6, 4.05, f"W/L = {d.wta_w_m * 1e9:.0f}/{d.wta_l_m * 1e9:.0f} nm", fontsize=8)
    ax.set_xlim(-0.2, 10.2)
    ax.set_ylim(0.2, 4.7)


def main(out: Path) -> None:
    d = MaapDesign()
    fig, (a, b) = plt.subplots(1, 2, figsize=(15, 4.8))
    for ax in (a, b):
        ax.set_aspect("equal")
        ax.axis("off")
    draw_cell(a, d)
    draw_set(b, d)
    fig.tight_layout()
    fig.savefig(out, dpi=130)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "maap_schematic.png"))
