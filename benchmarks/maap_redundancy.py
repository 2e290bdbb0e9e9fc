"""Why R = 4 missed ideal devices without the floor trim (docs/maap.md §5).

    nice -n 19 .venv/bin/python benchmarks/maap_redundancy.py [--seeds 5] [--devices 200]

Simulates the nominal MAAP set and ``--devices`` sets with 5 % MTJ variation (device seed
1002, the (0.05, 0) level of the full ``spinspice maap cnn`` study, whose first 24 devices
are the 24-device pool of the first version), untrimmed and with their floor trim set,
then for each training seed (8 bit, V_th 0) prints the accuracy gap to ideal devices,
paired by seed (mean ± standard error), for:

* the first 24 untrimmed devices and all of them, with the single-window or the operation
  mean correction, and all trimmed devices with the operation correction, R = 1, 4, 16, 64;
* on the untrimmed pool, an oracle at R = 4 that subtracts each operation's exact bias
  (its mean over 256 draws): what no output-side correction can beat;
* the exact value plus Gaussian noise of the untrimmed R = 4 spread: the random part alone.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from spinspice.analysis.maap_module import characterise
from spinspice.analysis.runner import NgspiceSubprocess
from spinspice.array_builder.maap import MaapDesign
from spinspice.training import maap_cnn as mc

BITS = 8
DEVICE_SEED = 1002
SMALL_POOL = 24
REDUNDANCY = (1, 4, 16, 64)
ORACLE_R = 4
ORACLE_DRAWS = 256


def _accuracy(w: mc.CnnWeights, feat: np.ndarray, y: np.ndarray) -> float:
    logits = feat @ mc._quant_signed(w.wf, BITS) + w.bf
    return float(np.mean(logits.argmax(axis=1) == y))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--devices", type=int, default=200)
    args = ap.parse_args()
    eng = NgspiceSubprocess()
    d = MaapDesign()
    nominal = characterise(eng, d, mtj_variation=0.0, vth_sigma_V=0.0, seed=1000)
    kw = {"mtj_variation": 0.05, "vth_sigma_V": 0.0, "devices": args.devices, "seed": DEVICE_SEED}
    big = characterise(eng, d, trim=False, **kw)
    trimmed = characterise(eng, d, **kw)
    small = replace(
        big,
        curves=big.curves[:SMALL_POOL],
        gain=big.gain[:SMALL_POOL],
        offset=big.offset[:SMALL_POOL],
    )
    # (name, statistics, mean corrections compared): the trimmed pool only with the default
    both, default = ("window", "operation"), ("operation",)
    pools = (
        ("24", small, both),
        (str(args.devices), big, both),
        (f"{args.devices}t", trimmed, default),
    )
    for name, st, _ in pools:
        print(
            f"pool {name}: offset sigma {np.nanstd(st.offset) / st.s_fs:.3f} FS, "
            f"floor sigma {np.std(st.curves[:, 0]) / st.s_fs:.3f} FS"
        )
    data = mc.load_images("digits")
    spec = mc.CnnSpec(image=int(data.x_train.shape[1]))
    gaps: dict[str, list[float]] = {}

    def add(key: str, acc: float, ideal: float) -> None:
        gaps.setdefault(key, []).append(100 * (acc - ideal))

    for s in range(args.seeds):
        w = mc.train_cnn(spec, data, seed=s)
        full = mc.activation_scale(w, data.x_train)
        ideal = mc.maap_accuracy(
            w,
            data,
            bits=BITS,
            redundancy=1,
            stats=nominal,
            rng=np.random.default_rng(0),
            act_full=full,
        )
        for name, st, compared in pools:
            op = mc.operation_corrected(
                st, w, data.x_train, bits=BITS, act_full=full, rng=np.random.default_rng([s, 1])
            )
            corrected = {"window": st, "operation": op}
            for corr in compared:
                stc = corrected[corr]
                for r in REDUNDANCY:
                    acc = mc.maap_accuracy(
                        w,
                        data,
                        bits=BITS,
                        redundancy=r,
                        stats=stc,
                        rng=np.random.default_rng([s, r]),
                        act_full=full,
                    )
                    add(f"pool {name:>4}, {corr:9} correction, R = {r:2}", acc, ideal)
        # oracle and Gaussian at R = 4 on the big pool (single-window correction)
        unit = big.s_fs / full
        win = mc._window_sums(w, data.x_test, BITS, unit)
        true = np.clip(win, 0.0, big.s_fs).max(axis=-1)
        rng = np.random.default_rng([s, 9])
        exact_mean = big.evaluate(rng, win, ORACLE_DRAWS)
        out = big.evaluate(rng, win, ORACLE_R)

        def feat(v: np.ndarray, unit: float = unit) -> np.ndarray:
            q = mc._quant_unsigned(v, BITS, big.s_fs) / unit
            return q.reshape(len(v), -1)

        add(
            "oracle: exact per-operation bias removed, R = 4",
            _accuracy(w, feat(out - (exact_mean - true)), data.y_test),
            ideal,
        )
        sd = float(np.std(out - exact_mean))
        print(f"seed {s}: R = 4 spread around the per-operation mean {sd / big.s_fs:.3f} FS")
        add(
            "exact + Gaussian noise of the R = 4 spread",
            _accuracy(w, feat(true + rng.normal(0.0, sd, true.shape)), data.y_test),
            ideal,
        )
        print(f"seed {s} done", flush=True)
    for key, g in gaps.items():
        a = np.array(g)
        se = a.std(ddof=1) / np.sqrt(a.size) if a.size > 1 else float("nan")
        print(f"{key:60s} gap {a.mean():+6.2f} ± {se:.2f} points (n = {a.size})")


if __name__ == "__main__":
    main()
