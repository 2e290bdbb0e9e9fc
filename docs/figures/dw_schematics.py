"""Draw the schematics of docs/domain_wall.md (matplotlib; run from the repository root):

    .venv/bin/python docs/figures/dw_schematics.py

They show the circuits spinspice.array_builder.dw_crossbar / dw_devices / dw_neurons build.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch, Rectangle

OUT = Path(__file__).resolve().parent


def box(ax, x, y, w, h, text, fc="#e8eef8", fs=7):  # type: ignore[no-untyped-def]
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02", fc=fc, ec="k", lw=0.8))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fs)


def line(ax, xs, ys, **kw):  # type: ignore[no-untyped-def]
    ax.plot(xs, ys, color=kw.pop("color", "k"), lw=kw.pop("lw", 0.9), **kw)


def crossbar() -> None:
    fig, ax = plt.subplots(figsize=(9, 5.2))
    rows, cols = 3, 3
    for i in range(rows):
        y = 4 - i * 1.1
        line(ax, [0.3, 7.3], [y, y], color="tab:blue")
        ax.text(7.4, y, f"WL{i + 1} (input x{i + 1}: 0 / V_DD)", va="center", fontsize=7,
                color="tab:blue")
        line(ax, [0.3, 7.3], [y - 0.45, y - 0.45], color="0.5", ls="--")
        ax.text(7.4, y - 0.45, f"SL{i + 1} (0 V at the row end)", va="center", fontsize=6,
                color="0.4")
        for j in range(cols + 1):
            x = 0.8 + j * 1.7
            off = j == cols
            box(ax, x + 0.15, y - 0.3, 0.55, 0.22, "X=1" if off else f"X{i + 1}{j + 1}",
                fc="#fde2c8" if off else "#e8eef8", fs=6)
            ax.text(x + 0.8, y - 0.2, "NMOS", fontsize=5)
    for j in range(cols + 1):
        x = 0.8 + j * 1.7
        line(ax, [x, x], [4.3, 0.75], color="tab:red")
        lab = "offset\ncolumn (I_AP)" if j == cols else f"BL{j + 1}"
        ax.text(x, 4.4, lab, ha="center", fontsize=7, color="tab:red")
        box(ax, x - 0.45, 0.05, 0.9, 0.6, "clamp NMOS\n+ amp: V(BL)=V_DD/2\nsense I_BL", fs=5.5)
    for j in range(cols):
        x = 0.8 + j * 1.7
        line(ax, [x, x], [0.05, -0.35])
        box(ax, x - 0.5, -1.0, 1.0, 0.6, "k·(I_BL − I_off)\n→ neuron (DEMUX)", fc="#e4f4e4", fs=5.5)
    ax.text(4.0, -1.45, "neuron: binary DW neuron | 3-bit racetrack ADC | recurrent DW neuron;"
            " threshold-offset device = an extra always-on row", ha="center", fontsize=7)
    ax.set_xlim(0, 10)
    ax.set_ylim(-1.7, 4.8)
    ax.axis("off")
    ax.set_title("DW crossbar (seed 004 Fig. 3b/4): cell = DW synapse read MTJ G(X) + access NMOS",
                 fontsize=9)
    fig.savefig(OUT / "dw_schematic_crossbar.png", dpi=130, bbox_inches="tight")
    plt.close(fig)


def racetrack() -> None:
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for b in range(3):
        y = 2.2 - b * 0.9
        span = 1 << b
        for k in range(8 + 1):
            bit = (k // span) % 2
            ax.add_patch(Rectangle((1 + k * 0.6 - 0.3, y), 0.6, 0.35,
                                   fc="#f6c9c9" if bit else "#cfe3f7", ec="k", lw=0.5))
        ax.text(0.3, y + 0.17, f"bit {b}", va="center", fontsize=8)
        ax.plot([1.0], [y + 0.5], "kv", ms=6)
        ax.text(1.15, y + 0.5, "read MTJ head", fontsize=6, va="center")
    ax.annotate("", xy=(6.4, -0.2), xytext=(1.0, -0.2), arrowprops={"arrowstyle": "->"})
    ax.text(3.7, -0.45, "input current (the three wires in series) moves every wall by "
            "D = v(I)·T_conv; code = round(D/Δ)", ha="center", fontsize=7)
    ax.set_xlim(0, 7)
    ax.set_ylim(-0.7, 2.9)
    ax.axis("off")
    ax.set_title("3-bit racetrack converter (seed 004 Fig. 2): domains of 2^b·Δ per wire",
                 fontsize=9)
    fig.savefig(OUT / "dw_schematic_racetrack.png", dpi=130, bbox_inches="tight")
    plt.close(fig)


def vote() -> None:
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for j in range(3):
        x = 1 + j * 2.2
        box(ax, x, 2.4, 1.0, 0.4, f"I{j + 1} (mirror)", fs=7)
        line(ax, [x + 0.5, x + 0.5], [2.4, 2.0])
        box(ax, x + 0.2, 1.7, 0.6, 0.3, "PMOS sw", fs=6)
        line(ax, [x + 0.5, x + 0.5], [1.7, 1.3])
        box(ax, x, 0.9, 0.45, 0.35, "MOS\ncap", fs=6)
        box(ax, x + 0.55, 0.9, 0.45, 0.35, "reset", fs=6)
        box(ax, x + 1.05, 1.05, 0.7, 0.35, "3 inverters", fs=6)
        ax.text(x + 1.4, 0.8, f"out{j + 1}", fontsize=6, ha="center")
    box(ax, 2.5, 0.05, 3.0, 0.4, "sw = EN AND out1 AND … (AND2 tree, 10 ps/stage) → inverter",
        fc="#fff3c4", fs=7)
    ax.set_xlim(0.5, 8)
    ax.set_ylim(0, 3)
    ax.axis("off")
    ax.set_title("time-domain majority vote (seed 004 Fig. 5): the first output to fall opens "
                 "every switch", fontsize=9)
    fig.savefig(OUT / "dw_schematic_vote.png", dpi=130, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    crossbar()
    racetrack()
    vote()
