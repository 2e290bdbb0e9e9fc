"""When this process may fork workers that inherit its memory (used by the Monte Carlo and
the batched crossbar solve).

``fork`` is cheap and lets a child use objects that cannot be pickled (a sparse LU
factorisation), but it is safe only while no other thread runs (a thread's locks would be
copied held) and only where the platform has it. Callers fall back to running everything
in the calling process when :func:`fork_is_safe` is false.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading


def fork_is_safe() -> bool:
    """True on a platform with ``fork``, in a non-daemonic process without other threads."""
    return (
        hasattr(os, "fork")
        and "fork" in mp.get_all_start_methods()
        and threading.active_count() == 1
        and not mp.current_process().daemon
    )
