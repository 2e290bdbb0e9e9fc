"""The "simplified input-to-output simulation module" of seed 003 §3, from ngspice.

Seed 003 emulates its CNN with a module derived from HSPICE runs of the MAAP set. Ours is
derived from ngspice runs of our MAAP set (:mod:`spinspice.array_builder.maap`):

1. the nominal set with one active window is swept (DC) to calibrate the ADC
   (:func:`spinspice.analysis.maap.calibrate`);
2. ``devices`` physically distinct sets — every MTJ's R_P and I_sat and every transistor's
   V_th drawn per device with a recorded seed — have their floor trim set (the one-time
   test step of :func:`spinspice.analysis.maap.trim_sets`; ``trim=False`` skips it), are
   swept the same way, and each output is decoded with the *nominal* calibration;
3. the module is the set of these decoded transfers v̂_d(s): every window of every MAAP
   operation (and each of its R redundant samples) runs on a device drawn at random from
   the simulated ones, the R outputs max_p v̂_d(s_p) are averaged, and the mean error is
   removed by inverting the devices' mean transfer (the seed: "the process
   variation-induced mean error is easily dealt with").

For reports each device is also fitted, over its unsaturated part, by v̂ = a·s + b
(gain a, offset b in unit products).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import numpy as np

from spinspice.analysis.maap import S_FS, Calibration, calibrate, trim_sets
from spinspice.analysis.runner import Engine
from spinspice.array_builder.maap import MaapDesign, calibration_job, draw_maap
from spinspice.errors import ParameterError
from spinspice.spintronic_cells.she_mtj import SheMtjVariation

#: Fewest decoded points in a device's linear range for the straight-line fit: two fix the
#: line, the third gives the residual; our choice.
MIN_LINEAR_POINTS: Final = 3
#: Device draws per calibration operation, and fewest calibration operations in a bin of
#: the true value for its mean to enter the operation correction; our choices (16 draws
#: leave a per-operation spread of σ/4, averaged further over the bin).
OP_CALIBRATION_DRAWS: Final = 16
OP_CALIBRATION_MIN_COUNT: Final = 20


@dataclass(frozen=True, slots=True)
class MaapStats:
    """Decoded transfers of simulated MAAP devices at one variation level.

    Attributes
    ----------
    s_grid:
        Window sums of the sweep, unit products (uniform, −FS/4 … FS).
    curves:
        (devices, points): each device's output decoded with the nominal calibration,
        unit products in [0, FS].
    gain, offset:
        Fitted a (dimensionless) and b (unit products) of each device (for reports; NaN
        for a device with almost no linear range, which stays in ``curves``).
    residual_rms:
        RMS of the straight-line fit residual over all devices, unit products.
    s_fs:
        Full scale FS, unit products.
    op_correction:
        (t, M(t)): knots of the operation's mean transfer (true value t on the grid
        0 … FS, mean averaged output M), or None to invert the single-window mean transfer.
    trim_codes, trim_saturated:
        Each device's floor-trim code and whether it hit the end of the DAC's range; None
        for untrimmed (or nominal) devices.
    """

    mtj_variation: float
    vth_sigma_V: float
    seed: int
    s_grid: np.ndarray
    curves: np.ndarray
    gain: np.ndarray
    offset: np.ndarray
    residual_rms: float
    s_fs: float
    op_correction: tuple[np.ndarray, np.ndarray] | None = None
    trim_codes: np.ndarray | None = None
    trim_saturated: np.ndarray | None = None

    @property
    def devices(self) -> int:
        """Number of simulated devices."""
        return int(self.curves.shape[0])

    @classmethod
    def ideal(cls, s_fs: float, points: int = 81) -> MaapStats:
        """Ideal devices: output = clip(s, 0, FS)."""
        s = np.linspace(-0.25 * s_fs, s_fs, points)
        curve = np.clip(s, 0.0, s_fs)[None, :]
        return cls(0.0, 0.0, 0, s, curve, np.ones(1), np.zeros(1), 0.0, s_fs)

    def device_output(self, idx: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Output of simulated device ``idx`` at window sum ``s`` (linear interpolation on
        its decoded transfer; held at the ends of the sweep)."""
        g = self.s_grid
        x = (np.clip(s, g[0], g[-1]) - g[0]) / (g[1] - g[0])
        j = np.minimum(x.astype(int), g.size - 2)
        f = x - j
        c = self.curves
        out: np.ndarray = (1 - f) * c[idx, j] + f * c[idx, j + 1]
        return out

    def _mean_transfer(self) -> tuple[np.ndarray, np.ndarray]:
        """(s, mean decoded output) of the single-window devices on 0 … FS (monotone)."""
        mean = np.maximum.accumulate(self.curves.mean(axis=0))
        m = (self.s_grid >= 0) & (self.s_grid <= self.s_fs)
        return self.s_grid[m], mean[m]

    def correct_mean(self, v: np.ndarray) -> np.ndarray:
        """Remove the mean error (seed 003 §4.1): invert the operation's mean transfer if
        calibrated (:meth:`with_operation_correction`), else the devices' mean transfer."""
        s, mean = self.op_correction if self.op_correction is not None else self._mean_transfer()
        out: np.ndarray = np.interp(v, mean, s)
        return out

    def raw_output(self, rng: np.random.Generator, sums: np.ndarray, redundancy: int) -> np.ndarray:
        """Average of max_p v̂_d(s_p) over ``redundancy`` devices drawn per operation and
        window, before any mean correction; unit products, shape (...)."""
        shape = (*sums.shape[:-1], redundancy, sums.shape[-1])
        idx = rng.integers(0, self.devices, size=shape)
        outs = self.device_output(idx, np.broadcast_to(sums[..., None, :], shape))
        out: np.ndarray = outs.max(axis=-1).mean(axis=-1)
        return out

    def with_operation_correction(
        self, sums: np.ndarray, rng: np.random.Generator, *, draws: int = OP_CALIBRATION_DRAWS
    ) -> MaapStats:
        """These statistics with the mean error of the whole MAAP operation removed.

        ``sums`` (..., P) are calibration window sums, unit products (the network's
        training set). The bias δ(t) = E[output | t] − m₁(t) against the single-window
        mean transfer m₁ is averaged in bins of the true value t on the grid 0 … FS
        (bins with fewer than ``OP_CALIBRATION_MIN_COUNT`` operations are interpolated,
        held at the ends); M(t) = m₁(t) + δ(t), made monotone, is what
        :meth:`correct_mean` then inverts.
        """
        if draws < 1:
            raise ParameterError("draws must be >= 1")
        t = np.clip(sums, 0.0, self.s_fs).max(axis=-1).ravel()
        v = self.raw_output(rng, sums, draws).ravel()
        g, m1 = self._mean_transfer()
        dv = v - np.interp(t, g, m1)
        edges = np.concatenate([[-np.inf], 0.5 * (g[1:] + g[:-1]), [np.inf]])
        k = np.digitize(t, edges) - 1
        cnt = np.bincount(k, minlength=g.size)
        tot = np.bincount(k, dv, minlength=g.size)
        ok = cnt >= OP_CALIBRATION_MIN_COUNT
        if not ok.any():
            raise ParameterError(
                f"too few calibration operations (< {OP_CALIBRATION_MIN_COUNT} per bin)"
            )
        delta = np.interp(g, g[ok], tot[ok] / cnt[ok])
        return replace(self, op_correction=(g, np.maximum.accumulate(m1 + delta)))

    def evaluate(self, rng: np.random.Generator, sums: np.ndarray, redundancy: int) -> np.ndarray:
        """max-pool(ReLU) of ``sums`` (..., P) on ``redundancy`` devices drawn per
        operation and window, averaged and mean-corrected; unit products, shape (...)."""
        return self.correct_mean(self.raw_output(rng, sums, redundancy))


def fit_device(cal: Calibration, s: np.ndarray, v_out: np.ndarray) -> tuple[float, float, float]:
    """Gain, offset (unit products) and RMS residual of one device's swept output."""
    v_hat = cal.decode(v_out)
    m = (v_hat > 0.1 * cal.s_fs) & (v_hat < 0.9 * cal.s_fs)
    if m.sum() < MIN_LINEAR_POINTS:
        raise ParameterError("a simulated MAAP device has (almost) no linear range")
    a, b = np.polyfit(s[m], v_hat[m], 1)
    res = v_hat[m] - (a * s[m] + b)
    return float(a), float(b), float(np.sqrt(np.mean(res**2)))


def characterise(
    engine: Engine,
    d: MaapDesign,
    *,
    mtj_variation: float,
    vth_sigma_V: float,
    devices: int = 24,
    seed: int = 0,
    trim: bool = True,
    osdi_path: Path | None = None,
) -> MaapStats:
    """Simulate ``devices`` varied MAAP sets (one window), floor-trimmed unless ``trim`` is
    False, and fit their gain/offset."""
    if devices < 1:
        raise ParameterError("devices must be >= 1")
    cal = calibrate(engine, d, windows=1, inputs=1, osdi_path=osdi_path)
    var = SheMtjVariation.mtj(mtj_variation, vth_sigma_V)
    nominal = mtj_variation == 0 and vth_sigma_V == 0
    n = 1 if nominal else devices
    draws = [draw_maap(var, 1, seed * 100_003 + i) for i in range(n)]
    trims = None
    if trim and not nominal:
        trims = trim_sets(engine, d, inputs=1, windows=1, draws=draws, osdi_path=osdi_path)
    jobs = [
        calibration_job(
            d,
            windows=1,
            inputs=1,
            s_max=S_FS,
            draws=dr,
            trim=None if trims is None else trims[i].codes,
            osdi_path=osdi_path,
        )
        for i, dr in enumerate(draws)
    ]
    gains, offs, res2, curves = [], [], [], []
    s_grid = cal.s
    for r in engine.run(jobs):
        dc = r.plot("dc")
        s = dc["v(v-sweep)"] / d.v_unit_V
        try:
            a, b, e = fit_device(cal, s, dc["v(out)"])
        except ParameterError:  # a dead set (no linear range) stays in the pool, unfitted
            a = b = e = float("nan")
        gains.append(a)
        offs.append(b)
        res2.append(e**2)
        curves.append(np.interp(s_grid, s, cal.decode(dc["v(out)"])))
    return MaapStats(
        mtj_variation,
        vth_sigma_V,
        seed,
        s_grid,
        np.array(curves),
        np.array(gains),
        np.array(offs),
        float(np.sqrt(np.nanmean(res2))),
        cal.s_fs,
        trim_codes=None if trims is None else np.array([t.codes[0] for t in trims]),
        trim_saturated=None if trims is None else np.array([t.saturated[0] for t in trims]),
    )
