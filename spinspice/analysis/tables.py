"""Tables and files: atomic writers for CSV, JSON and figures.

A file is written to a temporary sibling and moved into place with :func:`os.replace`,
so a reader never sees a half-written file and an error leaves any earlier file intact.
Only regular files are written (or replaced): a device, FIFO, socket, directory — or a
symlink to one, such as ``/proc/self/fd/1`` — is refused, so ``--csv /dev/full`` run as
root cannot replace the device. New files get the mode the umask allows (0666 & ~umask).
A table written to ``-`` goes to standard output.
Column names carry their units (``i_out_A``, ``e_write_J``, ``area_m2``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spinspice.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_output_target(target: Path | str) -> None:
    """Refuse an output path that exists and is not a regular file (after symlinks).

    Raises
    ------
    ParameterError
        Naming the path and what it is.
    """
    import stat

    link = Path(target)
    for _ in range(40):  # every hop of a symlink chain: /proc/self/fd/1 is one itself
        if not link.is_symlink():
            break
        nxt = Path(os.readlink(link))
        link = nxt if nxt.is_absolute() else link.parent / nxt
        real = os.path.abspath(link)
        if real.startswith(("/proc/", "/dev/", "/sys/")) or real in ("/proc", "/dev", "/sys"):
            raise ParameterError(f"output {target} is a link to {real}; give a regular file name")
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ParameterError(f"cannot write {target}: {exc.strerror}") from None
    if stat.S_ISREG(st.st_mode):
        return
    kind = (
        "a directory"
        if stat.S_ISDIR(st.st_mode)
        else "a FIFO"
        if stat.S_ISFIFO(st.st_mode)
        else "a device"
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
        else "a socket"
        if stat.S_ISSOCK(st.st_mode)
        else "not a regular file"
    )
    raise ParameterError(f"output {target} is {kind}; give a regular file name")


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` on success.

    Raises
    ------
    ParameterError
        If the target directory does not exist or is not writable.
    """
    target = Path(target)
    check_output_target(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ParameterError(f"cannot write {target}: directory {parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise ParameterError(f"cannot write {target}: {exc.strerror}") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())
        check_output_target(target)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_atomic(target: Path | str, writer: Callable[[Path], Any]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``target`` atomically."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


def write_csv(df: pd.DataFrame, target: Path | str) -> Path:
    """Write a table as CSV (no index, full float precision) atomically; ``-``: stdout."""
    if str(target) == "-":
        import sys

        sys.stdout.write(df.to_csv(index=False, float_format="%.9g"))
        sys.stdout.flush()
        return Path("-")
    return write_atomic(target, lambda p: df.to_csv(p, index=False, float_format="%.9g"))


def write_json(data: Any, target: Path | str) -> Path:
    """Write JSON (indented, sorted keys) atomically."""
    return write_atomic(
        target, lambda p: p.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    )
