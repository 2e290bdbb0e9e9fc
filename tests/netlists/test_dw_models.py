"""dw_synapse.va and racetrack.va compile and match their B-source twins and the device law."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spinspice.analysis.runner import NgspiceSubprocess, run_one
from spinspice.array_builder.dw_devices import (
    AdcBench,
    PulseTrain,
    adc_head_source,
    adc_job,
    dw_models,
    effective_width_s,
    position_from_read,
    synapse_pulse_job,
)
from spinspice.netlists import dw_model
from spinspice.netlists.osdi import compile_va
from spinspice.spintronic_cells.domain_wall import DW_PRESETS, RacetrackParams, pulse_train

P = DW_PRESETS["seed004-dw"]


@pytest.mark.parametrize("source", [dw_model.synapse_va_source(), dw_model.racetrack_va_source()])
def test_verilog_a_compiles(source: Path, tmp_path: Path) -> None:
    out = compile_va(source, tmp_path)
    assert out.is_file() and out.stat().st_size > 1000


def _positions(train: PulseTrain, kind: str, tmp_path: Path) -> np.ndarray:
    models = dw_models(kind, tmp_path)  # type: ignore[arg-type]
    tr = run_one(NgspiceSubprocess(), synapse_pulse_job(P, train, models)).plot("tran")
    x = position_from_read(P, -tr["i(vrd)"], train.v_read_V)
    return np.interp(train.sample_times_s(), tr["time"], x)


@pytest.mark.ngspice
@pytest.mark.parametrize(
    "train",
    [
        PulseTrain(i_A=-15e-6, width_s=1e-9, n_pulses=10, x0=1.0),
        PulseTrain(i_A=20e-6, width_s=2e-9, n_pulses=8, x0=0.2),
    ],
)
def test_synapse_twins_match_each_other_and_the_law(train: PulseTrain, tmp_path: Path) -> None:
    beh = _positions(train, "behavioural", tmp_path)
    osdi = _positions(train, "osdi", tmp_path)
    weff = effective_width_s(train.width_s, train.edge_s, train.i_A, P.i_th_A)
    law = pulse_train(P, i_A=train.i_A, width_s=weff, n_pulses=train.n_pulses, x0=train.x0)
    np.testing.assert_allclose(osdi, beh, atol=1e-9)
    # 1e-3: dead-zone smoothing (eps = 0.1 % of I_th) and PWL edges vs the ideal law
    np.testing.assert_allclose(beh, law, atol=1e-3)
    assert beh[0] == pytest.approx(train.x0, abs=1e-9)  # initial position held at t = 0


@pytest.mark.ngspice
@pytest.mark.parametrize("kind", ["behavioural", "osdi"])
def test_synapse_end_stop_and_dead_zone(kind: str, tmp_path: Path) -> None:
    # 30 pulses of 5 ns at 20 uA would move the wall 1.3 tracks: it stops at X = 1
    hard = _positions(PulseTrain(i_A=20e-6, width_s=5e-9, n_pulses=30, x0=0.3), kind, tmp_path)
    assert hard[-1] == pytest.approx(1.0, abs=0.01)
    assert np.all(np.diff(hard) > -1e-6)
    # below threshold (5 uA < I_th = 7.5 uA) for 100 ns: the smoothed dead zone lets the wall
    # creep by ~1.2e-6 (eps^2 tail); above threshold the same time would move it 1.1 tracks
    soft = _positions(PulseTrain(i_A=5e-6, width_s=20e-9, n_pulses=5, x0=0.37), kind, tmp_path)
    np.testing.assert_allclose(soft, 0.37, atol=2e-6)


@pytest.mark.ngspice
def test_racetrack_twins_give_the_law_codes(tmp_path: Path) -> None:
    r = RacetrackParams()
    # currents away from code boundaries by > 0.1 LSB (boundaries are where either model
    # may read a bit either way)
    codes_f = np.arange(-1, 10) + 0.3
    currents = np.clip(r.strip.i_th_A + codes_f * r.i_lsb_A, 0.0, None)
    bench = AdcBench(currents_A=tuple(float(i) for i in currents))
    law = r.code(currents)
    for kind in ("behavioural", "osdi"):
        tr = run_one(NgspiceSubprocess(), adc_job(r, bench, dw_models(kind, tmp_path))).plot("tran")  # type: ignore[arg-type]
        g_mid = 0.5 * (r.strip.g_p_S + r.strip.g_ap_S)
        codes = [
            sum(
                int(tr[f"i({adc_head_source(k, b).lower()})"][-1] / bench.v_read_V < g_mid) << b
                for b in range(r.bits)
            )
            for k in range(len(currents))
        ]
        assert codes == law.tolist(), kind
    assert set(law.tolist()) == set(range(8))
