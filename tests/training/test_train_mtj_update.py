"""MTJ-GXNOR update (seed 001 §4.1, §4.4, eq. 17/24) and the device-model adapters."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinspice.errors import ParameterError
from spinspice.spintronic_cells.presets import get_preset
from spinspice.spintronic_cells.switching import psw_analytic, switching_probability
from spinspice.training.mtj_update import (
    DeviceSwitching,
    DeviceVariation,
    Direction,
    MTJGxnorUpdater,
    MTJUpdateSettings,
    TableSwitching,
)


@dataclass(frozen=True)
class ConstSwitching:
    """Test double: P_sw = ``p_kappa`` for full T_up pulses, ``p_nu`` for shorter ones."""

    p_kappa: float = 1.0
    p_nu: float = 1.0
    t_up: float = 2e-9

    def psw(
        self,
        width_s: np.ndarray,
        *,
        direction: Direction,
        voltage_V: np.ndarray | float,
        r_scale: np.ndarray | None = None,
        theta0_scale: np.ndarray | None = None,
    ) -> np.ndarray:
        w = np.asarray(width_s, float)
        return np.where(w >= self.t_up, self.p_kappa, np.where(w > 0, self.p_nu, 0.0))


NAMES = {"+1": (True, False), "0s": (False, False), "0w": (True, True), "-1": (False, True)}


def _one(state: str, dw: float, model: ConstSwitching, leak: float = 0.0, n: int = 1) -> list[str]:
    upd = MTJGxnorUpdater(model, MTJUpdateSettings(leak_prob=leak))
    upd.init_array(np.zeros(n), np.random.default_rng(0))
    r1, r2 = NAMES[state]
    upd.arrays[0].r1_on[:] = r1
    upd.arrays[0].r2_on[:] = r2
    upd.update(0, np.full(n, dw), np.random.default_rng(5))
    return upd.zero_kind(0).tolist()


@pytest.mark.parametrize(
    ("state", "dw", "after"),
    [
        ("-1", 1.5, "+1"),  # §4.4 example 1 with P_sw = 1: both MTJs switch
        ("-1", 0.5, "0s"),  # only the nu-pulsed R2 (on -> off)
        ("0s", 0.5, "0s"),  # strong zero: R2 already off, R1 gets no kappa pulse
        ("0s", 1.2, "+1"),  # kappa pulse switches R1 on
        ("0w", 0.5, "+1"),  # weak zero: R2 switches off with the nu pulse
        ("0w", -0.5, "-1"),  # §4.4 example 2
        ("+1", 0.7, "+1"),  # saturated
        ("+1", 2.5, "+1"),
        ("-1", -1.5, "-1"),  # §4.4.1 last paragraph: nothing can switch
        ("+1", -0.5, "0s"),
        ("+1", -1.5, "-1"),
        ("0s", -1.0, "-1"),  # kappa = 1, nu = 0
        ("0w", 0.0, "0w"),  # no update
    ],
)
def test_transition_rules_with_certain_switching(state: str, dw: float, after: str) -> None:
    assert _one(state, dw, ConstSwitching()) == [after]


def test_example1_probabilities_eq26_27() -> None:
    # W = -1, dW = 1.5: P(+1) = Pk*Pn, P(0w) = Pk(1-Pn), P(0s) = (1-Pk)Pn, stay (1-Pk)(1-Pn).
    pk, pn, n = 0.8, 0.3, 20_000
    out = np.array(_one("-1", 1.5, ConstSwitching(p_kappa=pk, p_nu=pn), n=n))
    expect = {"+1": pk * pn, "0w": pk * (1 - pn), "0s": (1 - pk) * pn, "-1": (1 - pk) * (1 - pn)}
    for k, p in expect.items():
        assert float((out == k).mean()) == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n))


def test_leakage_flips_unpulsed_on_mtj_of_example2() -> None:
    # 0w, dW = -0.5, no switching by pulses, leak = 1: R2 (on, unpulsed) goes off -> +1.
    assert _one("0w", -0.5, ConstSwitching(p_kappa=0.0, p_nu=0.0), leak=1.0) == ["+1"]
    # kappa != 0: both MTJs are pulsed, no leakage path.
    assert _one("0w", -1.0, ConstSwitching(p_kappa=0.0, p_nu=0.0), leak=1.0) == ["0w"]


def test_init_array_rejects_non_ternary_and_splits_zeros() -> None:
    upd = MTJGxnorUpdater(ConstSwitching())
    with pytest.raises(ParameterError):
        upd.init_array(np.array([0.5]), np.random.default_rng(0))
    idx = upd.init_array(np.zeros(2000), np.random.default_rng(0))
    kinds = upd.zero_kind(idx)
    assert set(kinds.tolist()) == {"0s", "0w"}
    assert 0.45 < float((kinds == "0s").mean()) < 0.55
    assert np.all(upd.weights(idx) == 0)


def test_update_shape_checked() -> None:
    upd = MTJGxnorUpdater(ConstSwitching())
    upd.init_array(np.zeros((2, 3)), np.random.default_rng(0))
    with pytest.raises(ParameterError, match="shape"):
        upd.update(0, np.zeros((3, 2)), np.random.default_rng(0))


# ------------------------------------------------------------------ device model adapter
def test_device_switching_is_the_physics_stage_model() -> None:
    params = get_preset("seed001-device-c")
    dev = DeviceSwitching(params=params)
    widths = np.array([0.5e-9, 1e-9, 2e-9, 4e-9])
    for direction, state in (("AP->P", "AP"), ("P->AP", "P")):
        got = dev.psw(widths, direction=direction, voltage_V=1.0)  # type: ignore[arg-type]
        ref = switching_probability(params, from_state=state, voltage_V=1.0, widths_s=widths)  # type: ignore[arg-type]
        assert np.allclose(got, ref, rtol=0, atol=1e-15)
    # docs/engineering_facts.md §5: seed 001 Table 3 does not give P_sw(T_up = 2 ns, 1 V) ~ 1;
    # the (I - Ic0) form gives well below 1.
    assert 0.2 < float(dev.psw(np.array([2e-9]), direction="AP->P", voltage_V=1.0)[0]) < 0.3


def test_theta0_scale_matches_a_device_with_scaled_theta0() -> None:
    params = get_preset("seed001-device-c")
    widths = np.array([1e-9, 2e-9, 3e-9])
    for model in ("analytic", "analytic-hc"):
        dev = DeviceSwitching(params=params, model=model)  # type: ignore[arg-type]
        base = dev.psw(widths, direction="P->AP", voltage_V=1.2)
        same = dev.psw(widths, direction="P->AP", voltage_V=1.2, theta0_scale=np.ones(3))
        assert np.allclose(base, same, atol=1e-14)
        scaled = DeviceSwitching(params=replace(params, theta0_rad=0.345 * 1.3), model=model)  # type: ignore[arg-type]
        got = dev.psw(widths, direction="P->AP", voltage_V=1.2, theta0_scale=np.full(3, 1.3))
        assert np.allclose(got, scaled.psw(widths, direction="P->AP", voltage_V=1.2), atol=1e-14)


def test_r_scale_lowers_current_and_probability() -> None:
    dev = DeviceSwitching.from_preset()
    w = np.full(3, 2e-9)
    p = dev.psw(w, direction="AP->P", voltage_V=1.0, r_scale=np.array([0.8, 1.0, 1.25]))
    assert p[0] > p[1] > p[2]
    params = get_preset("seed001-device-c")
    i_ref = 1.0 / params.resistance("AP", 1.0)  # bias-dependent R_off at 1 V
    ref = psw_analytic(params, i_ref / 1.25, 2e-9, "AP->P")
    assert p[2] == pytest.approx(float(ref))


@settings(max_examples=60, deadline=None)
@given(
    w1=st.floats(0.0, 20e-9),
    w2=st.floats(0.0, 20e-9),
    v=st.floats(0.05, 3.0),
    direction=st.sampled_from(["AP->P", "P->AP"]),
)
def test_psw_in_unit_interval_and_monotone_in_width(
    w1: float, w2: float, v: float, direction: Direction
) -> None:
    dev = DeviceSwitching.from_preset()
    lo, hi = sorted((w1, w2))
    p = dev.psw(np.array([lo, hi]), direction=direction, voltage_V=v)
    assert 0.0 <= p[0] <= p[1] <= 1.0
    if lo == 0.0:
        assert p[0] == 0.0


def test_temperature_follows_table7() -> None:
    hot = DeviceSwitching.from_preset(temperature_K=373.0).params
    assert hot.r_off_ohm == pytest.approx(2000.0)
    assert hot.theta0_rad == pytest.approx(0.3827, rel=0.01)  # seed 001 Table 7
    cold = DeviceSwitching.from_preset(temperature_K=260.0).params
    assert cold.theta0_rad == pytest.approx(0.3187, rel=0.01)
    with pytest.raises(ParameterError):
        DeviceSwitching.from_preset(temperature_K=400.0)


def test_theta0_override_and_bad_model() -> None:
    assert DeviceSwitching.from_preset(theta0_rad=0.0913).params.theta0_rad == 0.0913
    with pytest.raises(ParameterError, match="unknown switching model"):
        DeviceSwitching(params=get_preset("seed001-device-c"), model="magic")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"θ0"):
        DeviceSwitching.from_preset(model="thermal").psw(
            np.array([1e-9]), direction="AP->P", voltage_V=1.0, theta0_scale=np.array([1.1])
        )


def test_variation_draw_reproducible_and_scaled() -> None:
    v = DeviceVariation(r_rsd=0.1, theta0_rsd=0.05, seed=3)
    r1, t1 = v.draw((200, 50), salt=1)
    r2, _ = v.draw((200, 50), salt=1)
    r3, _ = v.draw((200, 50), salt=2)
    assert np.array_equal(r1, r2) and not np.array_equal(r1, r3)
    assert r1.std() == pytest.approx(0.1, rel=0.05)
    assert t1.std() == pytest.approx(0.05, rel=0.05)
    with pytest.raises(ParameterError):
        DeviceVariation(r_rsd=1.5)


# ------------------------------------------------------------------ P_sw tables
def _write_table(path: Path, state: str, volt: float = 1.0) -> Path:
    path.write_text(
        "width_s,psw,psw_low,psw_high,model,from_state,voltage_V,temperature_K,trials\n"
        f"2e-09,0.9,0.88,0.92,llg,{state},{volt},300,1000\n"
        f"0,0,0,0,llg,{state},{volt},300,1000\n"
        f"1e-09,0.4,0.38,0.42,llg,{state},{volt},300,1000\n"
    )
    return path


def test_table_switching_reads_device_psw_csv(tmp_path: Path) -> None:
    ap = _write_table(tmp_path / "ap.csv", "AP")
    p = _write_table(tmp_path / "p.csv", "P")
    p.write_text(p.read_text().replace("0.4,", "0.6,"))
    tab = TableSwitching.from_csv([ap, p])
    w = np.array([0.0, 0.5e-9, 1e-9, 3e-9])
    assert tab.psw(w, direction="AP->P", voltage_V=1.0).tolist() == pytest.approx(
        [0, 0.2, 0.4, 0.9]
    )
    assert tab.psw(w, direction="P->AP", voltage_V=1.0)[2] == pytest.approx(0.6)
    with pytest.raises(ParameterError, match="made at"):
        tab.psw(w, direction="AP->P", voltage_V=1.5)
    with pytest.raises(ParameterError, match="variation"):
        tab.psw(w, direction="AP->P", voltage_V=1.0, r_scale=np.ones(4))


def test_table_switching_rejects_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("width,p\n1,2\n")
    with pytest.raises(ParameterError, match="width_s,psw"):
        TableSwitching.from_csv([bad])
    ap = _write_table(tmp_path / "ap.csv", "AP")
    other = _write_table(tmp_path / "ap2.csv", "AP", volt=1.2)
    with pytest.raises(ParameterError):
        TableSwitching.from_csv([ap, other])
    with pytest.raises(ParameterError, match="not found"):
        TableSwitching.from_csv([tmp_path / "missing.csv"])
