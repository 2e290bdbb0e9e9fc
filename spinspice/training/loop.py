"""``train(config) -> TrainingResult``: one entry point for every synapse type.

Synapse types (``TrainingConfig.synapse``):

* ``float``: full-precision weights, tanh hidden units (software reference; seed 002 "RV").
* ``gxnor``: ideal GXNOR ternary training (seed 001 §2.3, eq. 8–13).
* ``mtj-4t2r``: MTJ-GXNOR on the 4T2R synapse (seed 001 eq. 17/24) with P_sw from the
  device model of :mod:`spinspice.spintronic_cells` (default preset ``seed001-device-c``,
  ``analytic`` law) or from P_sw tables.
* ``mtj-1t1r``, ``mtj-1r-2phase``, ``mtj-1r-4phase``: seed 002 in-situ stochastic training
  of binary crossbars (one write per sample), device model calibrated to seed 002's design
  rules, sneak false switches from the device model or a sneak-path summary.
* ``dp``: seed 002 "DP" — binary network trained in software with the same stochastic rule
  on ideal devices, then programmed deterministically and read with device variation and
  (``sneak=True``) 1R programming disturbance.

Reproducibility: every random draw comes from generators seeded by ``config.seed`` (data
split: ``config.split_seed``); the same config gives identical numbers (wall times aside).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.mtj import TABLE7_T_K
from spinspice.training.binary import (
    BinaryCrossbarTrainer,
    DirectionalSwitching,
    SneakDisturbance,
    deploy_deterministic,
    seed002_switching,
)
from spinspice.training.data import DATASETS, Dataset, load_dataset
from spinspice.training.gxnor import (
    F32,
    Adam,
    NetSpec,
    Network,
    Sgd,
    cross_entropy,
    mse_tanh,
    parse_net,
    projection,
)
from spinspice.training.mtj_update import (
    DEFAULT_PRESET,
    N_DIRECTIONS,
    DeviceSwitching,
    DeviceVariation,
    ModelName,
    MTJGxnorUpdater,
    MTJUpdateSettings,
    SwitchingModel,
    TableSwitching,
)

__all__ = [
    "SYNAPSES",
    "EpochRecord",
    "ProgressCallback",
    "TrainingConfig",
    "TrainingResult",
    "net_spec",
    "train",
]

Synapse = Literal[
    "float", "gxnor", "mtj-4t2r", "mtj-1t1r", "mtj-1r-2phase", "mtj-1r-4phase", "dp",
    "dw-btnn", "dw-rlnn",
]
#: Accepted synapse types.
SYNAPSES: Final = (
    "float",
    "gxnor",
    "mtj-4t2r",
    "mtj-1t1r",
    "mtj-1r-2phase",
    "mtj-1r-4phase",
    "dp",
    "dw-btnn",
    "dw-rlnn",
)
#: Domain-wall nets of seed 004 (spinspice.training.dw_nets).
_DW: Final = ("dw-btnn", "dw-rlnn")
_BINARY: Final = ("mtj-1t1r", "mtj-1r-2phase", "mtj-1r-4phase", "dp")
#: Seed 001 Table 3 update period and voltage.
SEED001_T_UP_S: Final = 2e-9
SEED001_V_UP_V: Final = 1.0
#: Device temperature range, K: the 260–373 K of seed 001 Table 7 (θ0(T) and R_off(T) known).
TEMPERATURE_MIN_K: Final = TABLE7_T_K[0]
TEMPERATURE_MAX_K: Final = TABLE7_T_K[-1]
#: Dense layers of a DW net: one hidden layer and the output layer (seed 004 §IV: input,
#: hidden and output layer).
DW_NET_LAYERS: Final = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingConfig:
    """Everything that defines a training run (frozen, validated).

    Attributes
    ----------
    dataset:
        ``digits``, ``wbcd`` or ``mnist`` (then ``data_dir`` is required).
    net:
        Net spec, e.g. ``"64-100-10"`` or ``"conv8x3-fc10"`` (see :func:`parse_net`).
    synapse:
        One of :data:`SYNAPSES`.
    epochs:
        Passes over the training set. Default 20.
    seed:
        Seed of initialisation, shuffling, stochastic updates and device draws. Default 0.
    split_seed:
        Seed of the stratified train/test split (bundled datasets). Default 0.
    batch_size:
        Minibatch size for float/gxnor/mtj-4t2r (seed 001 uses 100 on MNIST). Binary
        crossbar variants always write after every sample (seed 002 §4.1). Default 32.
    lr:
        Learning rate. For GXNOR/MTJ it scales the update value ΔW in units of Δz = 1 (so
        it sets how often weights move); for binary crossbars it scales |δ| before eq. 6.
        ``None`` = per-synapse default (float 0.01, gxnor 0.02, mtj-4t2r 2.0, binary 4.0;
        tuned on digits, see ``docs/training.md``).
    lr_decay:
        Per-epoch multiplicative learning-rate decay (epoch e uses lr·lr_decay^(e−1);
        GXNOR's ref. [6] anneals its learning rate). Default 1.0 (constant).
    optimizer:
        ``adam`` or ``sgd`` (float/gxnor/mtj-4t2r). Default ``adam`` (seed 001 §5.3).
    loss:
        ``ce`` (softmax cross-entropy), ``mse`` (tanh outputs, seed 002) or ``auto``
        (``mse`` for binary crossbars and dp, ``ce`` otherwise).
    r, a:
        Seed 001 eq. 8 activation threshold and window half-width. Defaults 0.5, 0.5.
    m:
        Seed 001 eq. 12 projection steepness (ideal GXNOR only). Default 3.0.
    t_up_s, v_up_V:
        MTJ update period T_up in s and voltage V_up in V (seed 001 Table 3: 2 ns, 1 V).
    preset:
        Device preset of ``mtj-4t2r`` (:func:`spinspice.spintronic_cells.presets.get_preset`).
        Default ``seed001-device-c``.
    switching_model:
        Closed form of :mod:`spinspice.spintronic_cells.switching`: ``analytic`` (default),
        ``analytic-hc`` (seed 001 eq. 16 as printed), ``thermal``, ``precessional``.
    psw_tables:
        Zero, one or two ``width_s,psw`` CSVs (``spinspice device psw``) replacing the closed
        form; only valid at their drive voltage and without variation.
    theta0:
        θ0 of every device, rad (seed 001 Table 6 sweep); ``None`` = the preset's (0.345) or,
        with ``temperature_K``, its value at that temperature.
    temperature_K:
        Device temperature, K (260–373, seed 001 Table 7): θ0 ∝ √T and R_off(T) through
        :meth:`MTJParams.at_temperature`; ``None`` = the preset's 300 K.
    r_rsd, theta0_rsd:
        Device-to-device variation RSDs (resistance, θ0). Default 0.
    leak_prob:
        4T2R leakage flip probability (seed 001 §4.4.2). Default 0.
    sneak:
        Apply sneak-path disturbance (1R variants, dp). Default True.
    sneak_rate_2phase, sneak_rate_4phase, dp_program_flip:
        :class:`SneakDisturbance` rates; ``None`` = from ``sneak_table`` or, failing that,
        derived from the device model (:meth:`SneakDisturbance.from_device`).
    sneak_table:
        Optional sneak-path summary (JSON or CSV, :meth:`SneakDisturbance.from_file`).
    data_dir:
        MNIST directory.
    """

    dataset: str = "digits"
    net: str = "64-100-10"
    synapse: Synapse = "gxnor"
    epochs: int = 20
    seed: int = 0
    split_seed: int = 0
    batch_size: int = 32
    lr: float | None = None
    lr_decay: float = 1.0
    optimizer: Literal["adam", "sgd"] = "adam"
    loss: Literal["auto", "ce", "mse"] = "auto"
    r: float = 0.5
    a: float = 0.5
    m: float = 3.0
    t_up_s: float = SEED001_T_UP_S
    v_up_V: float = SEED001_V_UP_V
    preset: str = DEFAULT_PRESET
    switching_model: ModelName = "analytic"
    theta0: float | None = None
    temperature_K: float | None = None
    r_rsd: float = 0.0
    theta0_rsd: float = 0.0
    leak_prob: float = 0.0
    sneak: bool = True
    sneak_rate_2phase: float | None = None
    sneak_rate_4phase: float | None = None
    dp_program_flip: float | None = None
    sneak_table: str | None = None
    psw_tables: tuple[str, ...] = ()
    data_dir: str | None = None

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ParameterError(f"dataset must be one of {DATASETS}, got {self.dataset!r}")
        if self.synapse not in SYNAPSES:
            raise ParameterError(f"synapse must be one of {SYNAPSES}, got {self.synapse!r}")
        if self.switching_model not in ("analytic", "analytic-hc", "thermal", "precessional"):
            raise ParameterError(f"unknown switching_model {self.switching_model!r}")
        if not isinstance(self.psw_tables, tuple) or len(self.psw_tables) > N_DIRECTIONS:
            raise ParameterError("psw_tables must be a tuple of at most two CSV paths")
        if self.psw_tables and (
            self.temperature_K is not None
            or self.theta0 is not None
            or self.r_rsd > 0
            or self.theta0_rsd > 0
        ):
            raise ParameterError(
                "P_sw tables describe one nominal device: temperature, theta0 and variation "
                "studies need the device model (drop psw_tables)"
            )
        if self.optimizer not in ("adam", "sgd"):
            raise ParameterError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if self.loss not in ("auto", "ce", "mse"):
            raise ParameterError(f"loss must be auto, ce or mse, got {self.loss!r}")
        for name in ("epochs", "batch_size"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ParameterError(f"{name} must be a positive integer, got {v!r}")
        for name in ("seed", "split_seed"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 0:
                raise ParameterError(f"{name} must be a non-negative integer, got {v!r}")
        positive = ["r", "a", "m", "t_up_s", "v_up_V"]
        if self.lr is not None:
            positive.append("lr")
        if self.theta0 is not None:
            positive.append("theta0")
        for name in positive:
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise ParameterError(f"{name} must be a finite number > 0, got {v!r}")
        if not (math.isfinite(self.lr_decay) and 0 < self.lr_decay <= 1):
            raise ParameterError(f"lr_decay must be in (0, 1], got {self.lr_decay}")
        if self.a > self.r:
            raise ParameterError(f"window half-width a={self.a} must not exceed r={self.r}")
        for name in ("r_rsd", "theta0_rsd"):
            v = getattr(self, name)
            if not (math.isfinite(v) and 0 <= v < 1):
                raise ParameterError(f"{name} must be in [0, 1), got {v}")
        for name in ("leak_prob", "sneak_rate_2phase", "sneak_rate_4phase", "dp_program_flip"):
            v = getattr(self, name)
            if v is None and name != "leak_prob":
                continue
            if not (isinstance(v, int | float) and math.isfinite(v) and 0 <= v <= 1):
                raise ParameterError(f"{name} must be in [0, 1], got {v}")
        if self.temperature_K is not None and not (
            isinstance(self.temperature_K, int | float)
            and TEMPERATURE_MIN_K <= self.temperature_K <= TEMPERATURE_MAX_K
        ):
            raise ParameterError(
                f"temperature_K must be in seed 001 Table 7's range 260-373 K, "
                f"got {self.temperature_K!r}"
            )
        if self.dataset == "mnist" and self.data_dir is None:
            raise ParameterError("dataset 'mnist' needs data_dir")

    @property
    def effective_lr(self) -> float:
        """``lr`` or the per-synapse default."""
        if self.lr is not None:
            return self.lr
        if self.synapse == "float":
            return 0.01
        if self.synapse == "gxnor":
            return 0.02
        if self.synapse == "mtj-4t2r":
            return 2.0
        if self.synapse in _DW:
            return 0.01
        return 4.0

    @property
    def effective_loss(self) -> Literal["ce", "mse"]:
        """Loss after resolving ``auto``."""
        if self.loss != "auto":
            return self.loss
        return "mse" if self.synapse in _BINARY else "ce"


@dataclass(frozen=True, slots=True, kw_only=True)
class EpochRecord:
    """Metrics after one epoch.

    Attributes
    ----------
    epoch:
        1-based epoch number.
    train_loss:
        Mean training loss over the epoch's updates.
    train_acc, test_acc:
        Accuracies in [0, 1] (train: during the epoch, on the weights of each step).
    wall_s:
        Wall time of the epoch, s (not reproducible; excluded from comparisons).
    weight_changes:
        Number of synapse weight value changes in the epoch (quantised nets).
    device_switches:
        Number of MTJ switching events (incl. leakage / sneak false switches).
    """

    epoch: int
    train_loss: float
    train_acc: float
    test_acc: float
    wall_s: float
    weight_changes: int = 0
    device_switches: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingResult:
    """Outcome of :func:`train`: per-epoch records, final weights and a summary dict."""

    config: TrainingConfig
    records: tuple[EpochRecord, ...]
    weights: tuple[NDArray[np.float32], ...]
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def test_accuracy(self) -> float:
        """Test accuracy after the last epoch."""
        return self.records[-1].test_acc


#: Callback ``(epoch, total_epochs, record)`` called after every epoch.
ProgressCallback = Callable[[int, int, EpochRecord], None]


def _switching_model(cfg: TrainingConfig) -> SwitchingModel:
    """The device model of ``cfg`` (preset, model, temperature, θ0) or its P_sw tables."""
    if cfg.psw_tables:
        return TableSwitching.from_csv(cfg.psw_tables, voltage_V=None)
    return DeviceSwitching.from_preset(
        cfg.preset,
        model=cfg.switching_model,
        temperature_K=cfg.temperature_K,
        theta0_rad=cfg.theta0,
    )


def _init_float(shapes: list[tuple[int, int]], rng: np.random.Generator) -> list[F32]:
    # With z = W a / sqrt(fan_in), unit-variance weights keep unit-scale activations.
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def _init_ternary(shapes: list[tuple[int, int]], rng: np.random.Generator) -> list[F32]:
    return [rng.integers(-1, 2, size=s).astype(np.float32) for s in shapes]


def _accuracy(scores: F32, y: NDArray[np.int64]) -> float:
    return float((scores.argmax(axis=1) == y).mean())


def _loss_fn(kind: str) -> Callable[[F32, NDArray[np.int64]], tuple[float, F32]]:
    return cross_entropy if kind == "ce" else mse_tanh


def _train_minibatch(
    cfg: TrainingConfig,
    data: Dataset,
    spec: NetSpec,
    rng: np.random.Generator,
    progress: ProgressCallback | None,
) -> tuple[list[EpochRecord], list[F32], dict[str, Any]]:
    shapes = Network.weight_shapes(spec)
    quantised = cfg.synapse in ("gxnor", "mtj-4t2r")
    weights = _init_ternary(shapes, rng) if quantised else _init_float(shapes, rng)
    net = Network(
        spec,
        activation="ternary" if quantised else "tanh",
        weights=weights,
        r=cfg.r,
        a=cfg.a,
    )
    lr = cfg.effective_lr
    opt: Adam | Sgd = Adam(shapes, lr) if cfg.optimizer == "adam" else Sgd(shapes, lr)
    loss_fn = _loss_fn(cfg.effective_loss)
    extra: dict[str, Any] = {}
    updater: MTJGxnorUpdater | None = None
    if cfg.synapse == "mtj-4t2r":
        model = _switching_model(cfg)
        updater = MTJGxnorUpdater(
            model,
            MTJUpdateSettings(t_up_s=cfg.t_up_s, v_up_V=cfg.v_up_V, leak_prob=cfg.leak_prob),
            DeviceVariation(r_rsd=cfg.r_rsd, theta0_rsd=cfg.theta0_rsd, seed=cfg.seed),
        )
        for w in net.weights:
            updater.init_array(w, rng)
        net.weights = [updater.weights(i) for i in range(len(shapes))]
        frac = np.array([0.25, 0.5, 1.0]) * cfg.t_up_s
        extra["psw_ap_to_p_at_0.25_0.5_1_Tup"] = model.psw(
            frac, direction="AP->P", voltage_V=cfg.v_up_V
        ).tolist()
        extra["psw_p_to_ap_at_0.25_0.5_1_Tup"] = model.psw(
            frac, direction="P->AP", voltage_V=cfg.v_up_V
        ).tolist()
        extra["device"] = repr(model)
    n = len(data.x_train)
    records: list[EpochRecord] = []
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        opt.lr = lr * cfg.lr_decay ** (epoch - 1)
        order = rng.permutation(n)
        tot_loss, hits, changes, dev_sw = 0.0, 0, 0, 0
        for start in range(0, n, cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            xb, yb = data.x_train[idx], data.y_train[idx]
            scores, cache = net.forward(xb)
            loss, dscores = loss_fn(scores, yb)
            tot_loss += loss * len(idx)
            hits += int((scores.argmax(axis=1) == yb).sum())
            grads = net.backward(dscores, cache)
            for li, g in enumerate(grads):
                dw = opt.step(li, g)
                if cfg.synapse == "float":
                    net.weights[li] += dw
                elif updater is None:
                    new = projection(net.weights[li], dw, m=cfg.m, rng=rng)
                    changes += int((new != net.weights[li]).sum())
                    net.weights[li] = new
                else:
                    dev_sw += updater.update(li, dw, rng)
                    new = updater.weights(li)
                    changes += int((new != net.weights[li]).sum())
                    net.weights[li] = new
        test_acc = _accuracy(net.predict(data.x_test), data.y_test)
        rec = EpochRecord(
            epoch=epoch,
            train_loss=tot_loss / n,
            train_acc=hits / n,
            test_acc=test_acc,
            wall_s=time.perf_counter() - t0,
            weight_changes=changes,
            device_switches=dev_sw,
        )
        records.append(rec)
        if progress is not None:
            progress(epoch, cfg.epochs, rec)
    if updater is not None:
        kinds = np.concatenate([updater.zero_kind(i).ravel() for i in range(len(shapes))])
        extra["final_state_counts"] = {k: int((kinds == k).sum()) for k in ("+1", "0s", "0w", "-1")}
    return records, [w.copy() for w in net.weights], extra


def _float_reference_b(
    cfg: TrainingConfig, data: Dataset, spec: NetSpec, rng: np.random.Generator
) -> list[float]:
    """b = mean|W| per layer of a real-valued net trained in software (seed 002 §3.2, "RV")."""
    shapes = Network.weight_shapes(spec)
    net = Network(spec, activation="tanh", weights=_init_float(shapes, rng))
    opt = Adam(shapes, 0.01)
    n = len(data.x_train)
    for _ in range(cfg.epochs):
        order = rng.permutation(n)
        for start in range(0, n, 16):
            idx = order[start : start + 16]
            scores, cache = net.forward(data.x_train[idx])
            _, ds = mse_tanh(scores, data.y_train[idx])
            for li, g in enumerate(net.backward(ds, cache)):
                net.weights[li] += opt.step(li, g)
    return [float(np.abs(w).mean()) for w in net.weights]


def _sneak_rates(cfg: TrainingConfig, model: DirectionalSwitching) -> SneakDisturbance:
    """Device-derived rates, then a sneak summary file, then explicit overrides."""
    base = SneakDisturbance.from_device(model)
    if cfg.sneak_table is not None:
        base = SneakDisturbance.from_file(cfg.sneak_table, defaults=base)
    return SneakDisturbance(
        rate_2phase=base.rate_2phase if cfg.sneak_rate_2phase is None else cfg.sneak_rate_2phase,
        rate_4phase=base.rate_4phase if cfg.sneak_rate_4phase is None else cfg.sneak_rate_4phase,
        dp_program_flip=(
            base.dp_program_flip if cfg.dp_program_flip is None else cfg.dp_program_flip
        ),
    )


def _train_binary(
    cfg: TrainingConfig,
    data: Dataset,
    spec: NetSpec,
    rng: np.random.Generator,
    progress: ProgressCallback | None,
) -> tuple[list[EpochRecord], list[F32], dict[str, Any]]:
    b = _float_reference_b(cfg, data, spec, rng)
    model = seed002_switching()
    sneak = _sneak_rates(cfg, model)
    variation = DeviceVariation(r_rsd=cfg.r_rsd, seed=cfg.seed)
    is_dp = cfg.synapse == "dp"
    trainer = BinaryCrossbarTrainer(
        spec,
        b=b,
        variant="mtj-1t1r" if is_dp else cfg.synapse,  # type: ignore[arg-type]
        model=model,
        rng=rng,
        lr=cfg.effective_lr,
        sneak=sneak,
        sneak_on=cfg.sneak and not is_dp,
        variation=None if is_dp else variation,
    )
    dp_rscale: list[NDArray[np.float64] | None] | None = (
        [variation.draw(s, salt=100 + i)[0] for i, s in enumerate(Network.weight_shapes(spec))]
        if is_dp and cfg.r_rsd > 0
        else None
    )
    deploy_rng = np.random.default_rng([cfg.seed, 0xD7])
    n = len(data.x_train)
    records: list[EpochRecord] = []
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        trainer.lr = cfg.effective_lr * cfg.lr_decay ** (epoch - 1)
        sw0, fs0 = trainer.switches, trainer.false_switches
        before = [s.copy() for s in trainer.states]
        tot_loss, hits = 0.0, 0
        for i in rng.permutation(n):
            loss, hit = trainer.train_sample(data.x_train[i], int(data.y_train[i]))
            tot_loss += loss
            hits += hit
        if is_dp:
            ws = deploy_deterministic(
                trainer.states,
                b,
                rng=np.random.default_rng(deploy_rng.integers(2**63)),
                program_flip=sneak.dp_program_flip if cfg.sneak else 0.0,
                r_scale=dp_rscale,
            )
            test_acc = _accuracy(trainer.net.predict(data.x_test, weights=ws), data.y_test)
        else:
            test_acc = _accuracy(trainer.predict(data.x_test), data.y_test)
        changes = sum(int((a != c).sum()) for a, c in zip(before, trainer.states, strict=True))
        rec = EpochRecord(
            epoch=epoch,
            train_loss=tot_loss / n,
            train_acc=hits / n,
            test_acc=test_acc,
            wall_s=time.perf_counter() - t0,
            weight_changes=changes,
            device_switches=(trainer.switches - sw0) + (trainer.false_switches - fs0),
        )
        records.append(rec)
        if progress is not None:
            progress(epoch, cfg.epochs, rec)
    extra: dict[str, Any] = {
        "b_per_layer": b,
        "sneak_rates": {
            "rate_2phase": sneak.rate_2phase,
            "rate_4phase": sneak.rate_4phase,
            "dp_program_flip": sneak.dp_program_flip,
        },
        "false_switches": trainer.false_switches,
        "effective_batch_size": 1,
    }
    return records, trainer.read_weights(), extra


def net_spec(config: TrainingConfig, dataset: Dataset) -> NetSpec:
    """Parse ``config.net`` against ``dataset`` and check it suits ``config.synapse``.

    Raises
    ------
    ParameterError
        Malformed spec, shape mismatch, or a conv layer with a binary crossbar synapse.
    """
    spec = parse_net(
        config.net,
        n_features=dataset.n_features,
        image_shape=dataset.image_shape,
        n_classes=dataset.n_classes,
    )
    if config.synapse in _DW and (len(spec.layers) != DW_NET_LAYERS or spec.layers[0].kind != "fc"):
        raise ParameterError(
            f"synapse {config.synapse!r} needs one hidden dense layer, e.g. 64-100-10"
        )
    if config.synapse in _BINARY and any(la.kind != "fc" for la in spec.layers):
        raise ParameterError(f"synapse {config.synapse!r} supports dense nets only")
    return spec


def train(
    config: TrainingConfig,
    *,
    progress: ProgressCallback | None = None,
    dataset: Dataset | None = None,
) -> TrainingResult:
    """Train one network as described by ``config``.

    Parameters
    ----------
    config:
        The run definition.
    progress:
        Optional ``(epoch, total, record)`` callback after each epoch (the CLI's progress bar).
    dataset:
        Pre-loaded dataset (saves reloading in sweeps); must match ``config.dataset``.

    Returns
    -------
    TrainingResult
        Records per epoch, final (read) weights, and ``summary`` with ``test_accuracy``,
        ``best_test_accuracy``, wall time, switch counts and every config setting.
    """
    if dataset is None:
        dataset = load_dataset(
            config.dataset, split_seed=config.split_seed, data_dir=config.data_dir
        )
    elif dataset.name != config.dataset:
        raise ParameterError(f"dataset {dataset.name!r} given for config {config.dataset!r}")
    spec = net_spec(config, dataset)
    rng = np.random.default_rng([config.seed, 0x7A11])
    t0 = time.perf_counter()
    if config.synapse in _DW:
        from spinspice.training.dw_nets import loop_train

        records, weights, extra = loop_train(config, dataset, spec, progress, EpochRecord)
    elif config.synapse in _BINARY:
        records, weights, extra = _train_binary(config, dataset, spec, rng, progress)
    else:
        records, weights, extra = _train_minibatch(config, dataset, spec, rng, progress)
    summary: dict[str, Any] = {
        "test_accuracy": records[-1].test_acc,
        "best_test_accuracy": max(r.test_acc for r in records),
        "final_train_loss": records[-1].train_loss,
        "wall_s": time.perf_counter() - t0,
        "weight_changes": sum(r.weight_changes for r in records),
        "device_switches": sum(r.device_switches for r in records),
        "n_train": len(dataset.x_train),
        "n_test": len(dataset.x_test),
        "split": dataset.split,
        "effective_lr": config.effective_lr,
        "effective_loss": config.effective_loss,
        **asdict(config),
        **extra,
    }
    return TrainingResult(
        config=config, records=tuple(records), weights=tuple(weights), summary=summary
    )
