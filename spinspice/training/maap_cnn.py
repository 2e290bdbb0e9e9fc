"""MAAP-CNN study (seed 003 §3–4.2): a small CNN trained in float, run through MAAP sets.

Network (:class:`CnnSpec`): one 3×3 convolution of F filters (stride 1, no padding) →
ReLU → 2×2 max-pool → fully connected layer to the classes. Convolution + ReLU + pool is
what one MAAP operation computes (K = 9 products + the bias, P = 4 windows), so every
pooled feature is one MAAP operation; the FC layer is digital.

Inference through the MAAP module (:class:`~spinspice.analysis.maap_module.MaapStats`,
derived from ngspice runs of our MAAP set):

* inputs quantised to B bits in [0, 1], conv and FC weights to B bits (symmetric, per
  layer scale), the bias is one more product (input 1);
* each window sum is scaled to unit products so that the 99.5th percentile of the
  training set's pooled activations sits at the ADC full scale FS;
* every MAAP operation runs on R physically distinct sets, each window on a device drawn
  from the ngspice-simulated ones (:meth:`MaapStats.evaluate`); the R analog outputs are
  averaged (one ADC conversion, as in eq. 2 where N_ADC carries no R), mean-corrected and
  digitised to B bits. The mean error removed is by default that of the whole operation
  (the winner-take-all of P varied windows reads high), calibrated on the training set
  (:func:`operation_corrected`);
* the FC layer is evaluated digitally on the B-bit features; optionally it is first
  retrained on training features read through the devices (:func:`finetune_fc`).

numpy only; training on the 1 257 digits images takes about a second.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from spinspice.analysis.maap_energy import OpCounts
from spinspice.analysis.maap_module import MaapStats
from spinspice.errors import ParameterError
from spinspice.training.data import MIN_CLASSES

if TYPE_CHECKING:
    import pandas as pd

KERNEL = 3
POOL = 2
#: Smallest image side: its KERNEL×KERNEL valid convolution (2×2) still pools once.
MIN_IMAGE_SIDE: Final = 4
#: Largest image side, most filters and most classes of a CnnSpec; our choice (bounds for
#: input validation: the seed 003 study uses MNIST, 28×28 images and 10 classes).
MAX_IMAGE_SIDE: Final = 64
MAX_FILTERS: Final = 256
MAX_CLASSES: Final = 100
#: Precision at and above which weights and activations are left unquantised, bits; our choice
#: (24 bits is float32's significand: steps finer than single precision).
FULL_PRECISION_BITS: Final = 24


@dataclass(frozen=True, slots=True, kw_only=True)
class CnnSpec:
    """The MAAP-CNN: image side, filters, classes (conv 3×3 valid, pool 2×2, FC)."""

    image: int = 8
    filters: int = 8
    classes: int = 10

    def __post_init__(self) -> None:
        if not MIN_IMAGE_SIDE <= self.image <= MAX_IMAGE_SIDE or (self.image - KERNEL + 1) % POOL:
            raise ParameterError("image side must be 4..64 with an even conv output")
        if not 1 <= self.filters <= MAX_FILTERS:
            raise ParameterError("filters must be in 1..256")
        if not MIN_CLASSES <= self.classes <= MAX_CLASSES:
            raise ParameterError("classes must be in 2..100")

    @property
    def conv_side(self) -> int:
        """Side of the convolution output."""
        return self.image - KERNEL + 1

    @property
    def pooled_side(self) -> int:
        """Side of the pooled map."""
        return self.conv_side // POOL

    @property
    def n_features(self) -> int:
        """Pooled features = MAAP operations per image."""
        return self.filters * self.pooled_side**2


def operation_counts(spec: CnnSpec) -> OpCounts:
    """Operations per image of ``spec`` (our counting convention, docs/maap.md).

    MAAP and ADC: one per pooled feature. Multiply: the K·P products w·x fed to the OTAs of
    each MAAP operation plus the FC MACs. Memory (B-bit words): per MAAP operation its
    K·P inputs and K weights read and its output written; the FC layer reads its features
    and weights and writes the class scores.
    """
    k = KERNEL * KERNEL
    p = POOL * POOL
    n = spec.n_features
    fc = n * spec.classes
    return OpCounts(
        name=f"digits-cnn-{spec.image}px-{spec.filters}f",
        maap=n,
        memory=n * (k * p + k + 1) + n + fc + spec.classes,
        adc=n,
        multiply=n * k * p + fc,
        source="spinspice.training.maap_cnn.operation_counts",
    )


@dataclass(frozen=True, slots=True)
class Images:
    """Images in [0, 1] (n, side, side) with labels, split into train and test."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str


def load_images(
    dataset: str,
    *,
    data_dir: Path | None = None,
    split_seed: int = 0,
    max_train: int = 12_000,
    max_test: int = 2_000,
) -> Images:
    """``digits`` (sklearn 8×8, 70/30 stratified split) or ``mnist`` (IDX files, subset)."""
    if dataset == "digits":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        b = load_digits()
        x = (b.images / 16.0).astype(np.float64)
        xtr, xte, ytr, yte = train_test_split(
            x, b.target, test_size=0.3, random_state=split_seed, stratify=b.target
        )
        return Images(xtr, ytr.astype(int), xte, yte.astype(int), "digits")
    if dataset == "mnist":
        if data_dir is None:
            raise ParameterError("dataset mnist needs data_dir (directory of the IDX files)")
        from spinspice.training.data import _find_idx, read_idx

        d = Path(data_dir)
        xtr = read_idx(_find_idx(d, "train-images-idx3-ubyte"))[:max_train].astype(float) / 255.0
        ytr = read_idx(_find_idx(d, "train-labels-idx1-ubyte"))[:max_train].astype(int)
        xte = read_idx(_find_idx(d, "t10k-images-idx3-ubyte"))[:max_test].astype(float) / 255.0
        yte = read_idx(_find_idx(d, "t10k-labels-idx1-ubyte"))[:max_test].astype(int)
        return Images(xtr, ytr, xte, yte, "mnist")
    raise ParameterError(f"unknown dataset {dataset!r}; use digits or mnist")


@dataclass(frozen=True, slots=True)
class CnnWeights:
    """Float weights: conv (9, F), conv bias (F,), FC (n_features, classes), FC bias."""

    wc: np.ndarray
    bc: np.ndarray
    wf: np.ndarray
    bf: np.ndarray


def _patches(x: np.ndarray) -> np.ndarray:
    """(n, s, s) → (n, s−2, s−2, 9) 3×3 patches."""
    v = sliding_window_view(x, (KERNEL, KERNEL), axis=(1, 2))
    return v.reshape(*v.shape[:3], KERNEL * KERNEL)


def _windows(z: np.ndarray) -> np.ndarray:
    """(n, c, c, F) → (n, c/2, c/2, F, 4): the P = 4 windows of every pooled output."""
    n, c, _, f = z.shape
    h = c // POOL
    v = z.reshape(n, h, POOL, h, POOL, f).transpose(0, 1, 3, 5, 2, 4)
    return v.reshape(n, h, h, f, POOL * POOL)


def _forward_float(w: CnnWeights, x: np.ndarray) -> tuple[np.ndarray, ...]:
    pt = _patches(x)
    z = pt @ w.wc + w.bc
    win = _windows(z)
    a = np.maximum(win, 0.0)
    feat = a.max(axis=-1)
    logits = feat.reshape(len(x), -1) @ w.wf + w.bf
    return pt, win, a, feat, logits


def train_cnn(
    spec: CnnSpec, data: Images, *, seed: int, epochs: int = 30, lr: float = 3e-3, batch: int = 64
) -> CnnWeights:
    """Float training (softmax cross-entropy, Adam) of the MAAP-CNN."""
    if data.x_train.shape[1] != spec.image:
        raise ParameterError(f"images are {data.x_train.shape[1]} px, the spec says {spec.image}")
    rng = np.random.default_rng(seed)
    k = KERNEL * KERNEL
    params = [
        rng.normal(0, np.sqrt(2 / k), (k, spec.filters)),
        np.zeros(spec.filters),
        rng.normal(0, np.sqrt(1 / spec.n_features), (spec.n_features, spec.classes)),
        np.zeros(spec.classes),
    ]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step = 0
    n = len(data.x_train)
    for _ in range(epochs):
        order = rng.permutation(n)
        for i in range(0, n, batch):
            idx = order[i : i + batch]
            x, y = data.x_train[idx], data.y_train[idx]
            w = CnnWeights(*params)
            pt, win, a, feat, logits = _forward_float(w, x)
            pr = np.exp(logits - logits.max(axis=1, keepdims=True))
            pr /= pr.sum(axis=1, keepdims=True)
            g = pr
            g[np.arange(len(y)), y] -= 1.0
            g /= len(y)
            fl = feat.reshape(len(x), -1)
            d_wf = fl.T @ g
            d_bf = g.sum(axis=0)
            d_feat = (g @ params[2].T).reshape(feat.shape)
            arg = a.argmax(axis=-1)
            d_a = np.zeros_like(a)
            np.put_along_axis(d_a, arg[..., None], d_feat[..., None], axis=-1)
            d_win = d_a * (win > 0)
            nn, h, _, f, _ = d_win.shape
            d_z = d_win.reshape(nn, h, h, f, POOL, POOL).transpose(0, 1, 4, 2, 5, 3)
            d_z = d_z.reshape(nn, h * POOL, h * POOL, f)
            d_wc = pt.reshape(-1, k).T @ d_z.reshape(-1, f)
            d_bc = d_z.reshape(-1, f).sum(axis=0)
            step += 1
            for j, gr in enumerate((d_wc, d_bc, d_wf, d_bf)):
                m[j] = 0.9 * m[j] + 0.1 * gr
                v[j] = 0.999 * v[j] + 0.001 * gr**2
                mh = m[j] / (1 - 0.9**step)
                vh = v[j] / (1 - 0.999**step)
                params[j] = params[j] - lr * mh / (np.sqrt(vh) + 1e-8)
    return CnnWeights(*params)


def float_accuracy(w: CnnWeights, x: np.ndarray, y: np.ndarray) -> float:
    """Test accuracy of the float network."""
    return float(np.mean(_forward_float(w, x)[-1].argmax(axis=1) == y))


def _quant_signed(w: np.ndarray, bits: int) -> np.ndarray:
    if bits >= FULL_PRECISION_BITS:
        return w
    levels = 2 ** (bits - 1) - 1
    scale = float(np.max(np.abs(w))) or 1.0
    if levels < 1:
        sgn: np.ndarray = np.sign(w) * scale
        return sgn
    out: np.ndarray = np.round(w / scale * levels) / levels * scale
    return out


def _quant_unsigned(x: np.ndarray, bits: int, full: float) -> np.ndarray:
    if bits >= FULL_PRECISION_BITS:
        clipped: np.ndarray = np.clip(x, 0.0, full)
        return clipped
    levels = 2**bits - 1
    out: np.ndarray = np.round(np.clip(x / full, 0.0, 1.0) * levels) / levels * full
    return out


def activation_scale(w: CnnWeights, x_train: np.ndarray) -> float:
    """Pooled-activation value mapped to the ADC full scale (99.5th percentile)."""
    feat = _forward_float(w, x_train)[3]
    return float(np.percentile(feat, 99.5)) or 1.0


def _window_sums(w: CnnWeights, x: np.ndarray, bits: int, unit: float) -> np.ndarray:
    """B-bit window sums of images ``x``, unit products, shape (n, h, h, F, P)."""
    xq = _quant_unsigned(x, bits, 1.0)
    win: np.ndarray = (
        _windows(_patches(xq) @ _quant_signed(w.wc, bits) + _quant_signed(w.bc, bits)) * unit
    )
    return win


def maap_features(
    w: CnnWeights,
    x: np.ndarray,
    *,
    bits: int,
    redundancy: int,
    stats: MaapStats,
    rng: np.random.Generator,
    act_full: float,
    max_elements: int = 4_000_000,
) -> np.ndarray:
    """B-bit pooled features (n, n_features) of images ``x``, every MAAP operation run on
    ``redundancy`` drawn devices (activation units, as the FC layer sees them)."""
    if bits < 1 or redundancy < 1:
        raise ParameterError("bits and redundancy must be >= 1")
    fs = stats.s_fs
    unit = fs / act_full  # unit products per activation value
    side = x.shape[1] - KERNEL + 1
    per_image = side * side * w.wc.shape[1] * redundancy  # device samples per image
    chunk = max(1, min(256, max_elements // per_image))  # bounds the memory of one batch
    out = []
    for i in range(0, len(x), chunk):
        win = _window_sums(w, x[i : i + chunk], bits, unit)
        v = stats.evaluate(rng, win, redundancy)
        out.append((_quant_unsigned(v, bits, fs) / unit).reshape(len(win), -1))
    return np.concatenate(out)


def maap_accuracy(
    w: CnnWeights,
    data: Images,
    *,
    bits: int,
    redundancy: int,
    stats: MaapStats,
    rng: np.random.Generator,
    act_full: float,
    max_elements: int = 4_000_000,
) -> float:
    """Test accuracy with every MAAP operation run on ``redundancy`` drawn devices (the FC
    layer of ``w`` quantised to B bits, its bias kept digital)."""
    feat = maap_features(
        w,
        data.x_test,
        bits=bits,
        redundancy=redundancy,
        stats=stats,
        rng=rng,
        act_full=act_full,
        max_elements=max_elements,
    )
    logits = feat @ _quant_signed(w.wf, bits) + w.bf
    return float(np.mean(logits.argmax(axis=1) == data.y_test))


def operation_corrected(
    stats: MaapStats,
    w: CnnWeights,
    x_train: np.ndarray,
    *,
    bits: int,
    act_full: float,
    rng: np.random.Generator,
) -> MaapStats:
    """``stats`` with the MAAP operation's mean error calibrated on the training images'
    window sums (:meth:`MaapStats.with_operation_correction`)."""
    sums = _window_sums(w, x_train, bits, stats.s_fs / act_full)
    return stats.with_operation_correction(sums, rng)


def finetune_fc(
    w: CnnWeights,
    feat: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    seed: int,
    lr: float = 1e-3,
    batch: int = 64,
) -> CnnWeights:
    """Retrain the (digital) FC layer on features read through MAAP devices.

    Starts from the float FC weights; softmax cross-entropy, Adam; conv weights unchanged.
    Our addition (seed 003 trains in float only): the FC layer is digital, so it can be
    trained on what the MAAP sets of the chip actually output.
    """
    if epochs < 1:
        raise ParameterError("epochs must be >= 1")
    rng = np.random.default_rng(seed)
    params = [w.wf.copy(), w.bf.copy()]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(feat))
        for i in range(0, len(feat), batch):
            idx = order[i : i + batch]
            logits = feat[idx] @ params[0] + params[1]
            g = np.exp(logits - logits.max(axis=1, keepdims=True))
            g /= g.sum(axis=1, keepdims=True)
            g[np.arange(len(idx)), y[idx]] -= 1.0
            g /= len(idx)
            step += 1
            for j, gr in enumerate((feat[idx].T @ g, g.sum(axis=0))):
                m[j] = 0.9 * m[j] + 0.1 * gr
                v[j] = 0.999 * v[j] + 0.001 * gr**2
                mh = m[j] / (1 - 0.9**step)
                vh = v[j] / (1 - 0.999**step)
                params[j] = params[j] - lr * mh / (np.sqrt(vh) + 1e-8)
    return CnnWeights(w.wc, w.bc, params[0], params[1])


#: Passes of the training set through freshly drawn MAAP devices for ``finetune_fc``: each
#: image is seen on FC_PASSES independent device draws; our choice.
FC_PASSES: Final = 4


def run_study(
    *,
    dataset: str,
    data_dir: Path | None,
    bits: Sequence[int],
    redundancy: Sequence[int],
    stats: Mapping[tuple[float, float], MaapStats],
    seeds: int,
    epochs: int = 30,
    spec: CnnSpec | None = None,
    e_maap_op_J: float | None = None,
    op_correction: bool = True,
    fc_epochs: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Accuracy for every (bits, redundancy, variation level, seed): one row each.

    ``stats`` maps (mtj_variation, vth_sigma_V) to the simulated MAAP statistics. Seed s
    trains the network (initialisation, batch order) and draws the devices. With
    ``e_maap_op_J`` the energy per image of eq. 2 (our network's counts) is added.
    ``op_correction``: remove the MAAP operation's mean error calibrated on the training
    set (:func:`operation_corrected`) instead of the single window's. ``fc_epochs`` > 0:
    retrain the FC layer on training features read through the devices at the same
    B and R (:func:`finetune_fc`, ideal devices too, so the comparison stays paired).
    """
    import pandas as pd

    from spinspice.analysis.maap_energy import image_energy

    data = load_images(dataset, data_dir=data_dir)
    spec = spec or CnnSpec(image=int(data.x_train.shape[1]))
    counts = operation_counts(spec)
    rows = []
    total = seeds * len(bits) * len(redundancy) * len(stats)
    done = 0
    for s in range(seeds):
        w = train_cnn(spec, data, seed=s, epochs=epochs)
        f_acc = float_accuracy(w, data.x_test, data.y_test)
        full = activation_scale(w, data.x_train)
        for (mtj, vth), st0 in sorted(stats.items()):
            level = [round(mtj * 1e6), round(vth * 1e6)]
            for b in bits:
                st = st0
                if op_correction:
                    cal_rng = np.random.default_rng([s, b, *level, 1])
                    st = operation_corrected(
                        st0, w, data.x_train, bits=b, act_full=full, rng=cal_rng
                    )
                for r in redundancy:
                    w_r = w
                    if fc_epochs > 0:
                        ft_rng = np.random.default_rng([s, b, r, *level, 2])
                        feat = np.concatenate(
                            [
                                maap_features(
                                    w,
                                    data.x_train,
                                    bits=b,
                                    redundancy=r,
                                    stats=st,
                                    rng=ft_rng,
                                    act_full=full,
                                )
                                for _ in range(FC_PASSES)
                            ]
                        )
                        w_r = finetune_fc(
                            w, feat, np.tile(data.y_train, FC_PASSES), epochs=fc_epochs, seed=s
                        )
                    rng = np.random.default_rng([s, b, r, *level])
                    acc = maap_accuracy(
                        w_r, data, bits=b, redundancy=r, stats=st, rng=rng, act_full=full
                    )
                    row: dict[str, float | int | str] = {
                        "bits": b,
                        "redundancy": r,
                        "vth_sigma_V": vth,
                        "mtj_variation": mtj,
                        "seed": s,
                        "test_accuracy": acc,
                        "float_accuracy": f_acc,
                        "offset_sigma_fs": float(np.nanstd(st.offset) / st.s_fs),
                        "gain_sigma": float(np.nanstd(st.gain) / np.nanmean(st.gain)),
                        "devices_unfitted": int(np.isnan(st.gain).sum()),
                        "floor_sigma_fs": float(np.std(st.curves[:, 0]) / st.s_fs),
                        "trimmed": st.trim_codes is not None,
                        "trim_saturated": 0
                        if st.trim_saturated is None
                        else int(st.trim_saturated.sum()),
                        "devices_simulated": st.devices,
                        "op_correction": op_correction,
                        "fc_epochs": fc_epochs,
                        "device_seed": st.seed,
                        "dataset": data.name,
                    }
                    if e_maap_op_J is not None:
                        row["e_image_J"] = image_energy(e_maap_op_J, b, r, counts)["e_image_J"]
                    rows.append(row)
                    done += 1
                    if progress is not None:
                        progress(done, total)
    return pd.DataFrame(rows)


def plot_study(df: pd.DataFrame, path: Path) -> None:
    """Seed 003 Figs. 6–8 shapes: accuracy vs bits, vs R, vs V_th σ, vs energy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinspice.analysis.tables import write_atomic

    g = df.groupby(["bits", "redundancy", "vth_sigma_V", "mtj_variation"])["test_accuracy"]
    agg = g.agg(["mean", "std"]).reset_index()
    mtj_max = agg["mtj_variation"].max()
    r_max = agg["redundancy"].max()
    vth0 = agg["vth_sigma_V"].min()
    fig, axs = plt.subplots(1, 4, figsize=(16, 3.6))
    sel = agg[
        (agg.mtj_variation == mtj_max) & (agg.redundancy == r_max) & (agg.vth_sigma_V == vth0)
    ]
    axs[0].errorbar(sel["bits"], 100 * sel["mean"], 100 * sel["std"], marker="o", capsize=3)
    axs[0].set_xscale("log", base=2)
    axs[0].set_xlabel("bits B")
    axs[0].set_title(f"R = {r_max}, MTJ σ {mtj_max:g}")
    b_max = agg["bits"].max()
    for vth, sub in agg[(agg.bits == b_max) & (agg.mtj_variation == mtj_max)].groupby(
        "vth_sigma_V"
    ):
        axs[1].errorbar(
            sub["redundancy"],
            100 * sub["mean"],
            100 * sub["std"],
            marker="o",
            capsize=3,
            label=f"V_th σ {1e3 * vth:g} mV",
        )
    ideal = agg[
        (agg.mtj_variation == agg.mtj_variation.min())
        & (agg.vth_sigma_V == vth0)
        & (agg.bits == b_max)
    ]
    if len(ideal):
        axs[1].axhline(100 * ideal["mean"].mean(), color="k", ls="--", lw=1, label="ideal devices")
    axs[1].set_xscale("log", base=2)
    axs[1].set_xlabel("redundancy R")
    axs[1].set_title(f"B = {b_max}")
    axs[1].legend(fontsize=7)
    sub = agg[(agg.bits == b_max) & (agg.mtj_variation == mtj_max)]
    for r, s2 in sub.groupby("redundancy"):
        axs[2].errorbar(
            1e3 * s2["vth_sigma_V"],
            100 * s2["mean"],
            100 * s2["std"],
            marker="o",
            capsize=3,
            label=f"R = {r}",
        )
    axs[2].set_xlabel("V_th σ (mV)")
    axs[2].set_title(f"B = {b_max}, MTJ σ {mtj_max:g}")
    axs[2].legend(fontsize=7)
    if "e_image_J" in df.columns:
        ge = df[(df.mtj_variation == mtj_max) & (df.vth_sigma_V == vth0)].groupby(
            ["bits", "redundancy"]
        )
        e = ge.agg(e=("e_image_J", "mean"), acc=("test_accuracy", "mean")).reset_index()
        for b, s3 in e.groupby("bits"):
            axs[3].plot(1e9 * s3["e"], 100 * s3["acc"], "o-", label=f"{b} bit")
        axs[3].set_xscale("log")
        axs[3].set_xlabel("energy per image (nJ)")
        axs[3].legend(fontsize=7)
    for ax in axs:
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    write_atomic(path, lambda p: fig.savefig(p, format=path.suffix.lstrip(".") or "png", dpi=120))
    plt.close(fig)
