"""The study file: strict validation, errors that name the key, its table and the file."""

from __future__ import annotations

import math
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinspice.studies.plan import draw_key, job_seed, plan
from spinspice.studies.spec import StudyError, load_study

MINIMAL = '[study]\nname = "t"\n\n[[gxnor]]\n'


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "study.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[corners]]\ncell = "4t2r"\nrows = 0\n', "study.toml: [[corners]] #1: rows must be 1..1024, got 0"),
        ('[[gxnor]]\n[[corners]]\ncell = "4t2r"\nsizes = [4]\n[[corners]]\ncell = "4t2r"\nrows = 0\n',
         "study.toml: [[corners]] #2: rows must be 1..1024, got 0"),
        ('[technolgy]\ncorners = ["tt"]\n[[gxnor]]\n', "unknown table [technolgy]"),
        ('[[gxnor]]\nv_rd = 0.1\n', "[[gxnor]] #1: unknown key 'v_rd'"),
        ('[[corners]]\ncell = "nope"\nrows = 2\n', "[[corners]] #1: cell must be one of"),
        ('[[energy]]\ncell = "2t1r"\nsizes = ["2x2"]\nmethod = "op"\n', "method must be one of transient"),
        ('[[sneak]]\ncrossbar = "1t1r"\nschemes = ["4phase"]\nrows = 4\n', "1R crossbar only"),
        ('[technology]\ntemperatures_C = [27, "hot"]\n[[gxnor]]\n', "temperatures_C: 'hot'"),
        ('[technology]\ntemperatures_C = [1000]\n[[gxnor]]\n', "[technology]: temperatures_C"),
        ('[study]\nseed = -1\n[[gxnor]]\n', "[study]: seed must be 0..4294967295"),
        ('[device]\npreset = "x"\n[[gxnor]]\n', "[device]: preset must be one of"),
        ('[device]\nfit = "missing.json"\n[[gxnor]]\n', "fit: "),
        ('[study]\nname = "t"\n', "nothing to run"),
        ('[training]\nsynapse = "gxnor"\npsw_from_study = true\n', "psw_from_study needs synapse"),
        ('[[psw]]\nfrom_state = "AP"\nvoltage_V = 1.0\nspice_instances = 0\nmc_trials = 0\n',
         "spice_instances and/or mc_trials"),
        ('[[corners]]\ncell = "4t2r"\nsizes = [4, 4]\n', "sizes lists a size twice"),
        ("[[gxnor]\n", "not valid TOML"),
    ],
)
def test_bad_study_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(StudyError) as err:
        load_study(_write(tmp_path, text))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_the_example_studies_are_valid_and_plan(tmp_path: Path) -> None:
    root = Path(__file__).parents[2] / "examples"
    for p in sorted(root.glob("*study*.toml")):
        study = load_study(p)
        jobs = plan(study)
        assert jobs and len({j.hash for j in jobs}) == len(jobs)
        # dependencies first
        seen: set[str] = set()
        for j in jobs:
            assert set(j.after) <= seen
            seen.add(j.key)


def test_seeds_come_from_the_study_seed_and_the_design_not_the_conditions(tmp_path: Path) -> None:
    study = load_study(_write(tmp_path, '[study]\nseed = 5\n[technology]\ncorners = ["tt", "ss"]\n'
                                       'temperatures_C = [27, 85]\n[[corners]]\ncell = "2t1r"\n'
                                       'sizes = [2, 3]\n'))
    jobs = plan(study)
    assert len(jobs) == 8
    by_size: dict[int, set[int]] = {}
    for j in jobs:
        by_size.setdefault(j.params["rows"], set()).add(j.seed)
    assert all(len(s) == 1 for s in by_size.values()) and by_size[2] != by_size[3]
    assert draw_key("corners/4t2r/8x8/tt/27C/1") == "corners/4t2r/8x8/1"
    assert job_seed(5, "a") == job_seed(5, "a") != job_seed(6, "a")


def test_hash_changes_with_inputs_it_reads(tmp_path: Path) -> None:
    lib = tmp_path / "m.lib"
    from spinspice.netlists.technology import default_library_path

    lib.write_text(default_library_path().read_text())
    text = f'[technology]\nmodels = "{lib.name}"\n[[gxnor]]\n'
    a = plan(load_study(_write(tmp_path, text)))[0].hash
    lib.write_text(lib.read_text() + "* edited\n")
    b = plan(load_study(_write(tmp_path, text)))[0].hash
    assert a != b


_keys = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)
_values = st.one_of(
    st.integers(-5, 5000), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=8), st.lists(st.integers(-2, 40), max_size=3),
    st.lists(st.text(alphabet="tfs0x9", max_size=4), max_size=3),
)
_tables = st.sampled_from(["study", "technology", "device", "gxnor", "corners", "energy",
                           "sneak", "psw", "training", "other"])


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return {float("inf"): "inf", float("-inf"): "-inf"}.get(v, "nan" if math.isnan(v) else repr(v))
    if isinstance(v, str):
        return '"' + v.replace("\\", "").replace('"', "") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return str(v)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_tables, st.dictionaries(_keys, _values, max_size=4)), max_size=4))
def test_random_study_files_either_load_or_give_one_study_error(
    tmp_path: Path, tables: list[tuple[str, dict[str, object]]]
) -> None:
    lines = []
    arrays = {"gxnor", "corners", "energy", "sneak", "psw"}
    for name, body in tables:
        lines.append(f"[[{name}]]" if name in arrays else f"[{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in body.items()]
    path = _write(tmp_path, "\n".join(lines) + "\n")
    try:
        study = load_study(path)
    except StudyError as exc:
        assert str(exc).startswith("study.toml")
        assert "\n" not in str(exc)
    else:
        assert plan(study) is not None
