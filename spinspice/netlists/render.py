"""Turn a :class:`~spinspice.netlists.circuit.Circuit` into checked ngspice text.

Jinja is configured for SPICE, not HTML: ``StrictUndefined`` (a missing variable is an
error, never an empty string), ``autoescape=False`` stated explicitly (escaping is done
by our filters: ``num`` for numbers, ``ident``/``node`` for names, ``path`` for files),
``trim_blocks``/``lstrip_blocks`` and ``\\n`` line endings. Templates live in
``spinspice/netlists/templates/`` and hold loops and simple conditionals only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from spinspice.errors import NetlistError
from spinspice.netlists.circuit import Circuit, Param, check_node
from spinspice.netlists.guard import ControlSettings, assemble, check_text
from spinspice.netlists.values import SAFE_RELATIVE_PATH_RE, check_identifier, format_number

if TYPE_CHECKING:
    import jinja2


def _num(value: object) -> str:
    if isinstance(value, Param):
        return "{" + check_identifier(value.name, what="parameter name") + "}"
    return format_number(value)  # type: ignore[arg-type]


def _path(value: object) -> str:
    text = str(value)
    if not SAFE_RELATIVE_PATH_RE.match(text):
        raise NetlistError(f"unsafe path {text!r} in netlist (only relative job file names)")
    return text


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("spinspice.netlists", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        newline_sequence="\n",
        keep_trailing_newline=True,
    )
    env.filters["num"] = _num
    env.filters["ident"] = check_identifier
    env.filters["node"] = check_node
    env.filters["path"] = _path
    return env


@dataclass(frozen=True, slots=True)
class Deck:
    """A rendered and checked deck body, ready for a simulator backend.

    The body holds everything but the ``.control`` block and ``.end``; a backend adds
    those with :meth:`text` from its own :class:`ControlSettings`, so that the control
    commands are always the toolkit's own.

    Attributes
    ----------
    title:
        The circuit title.
    body:
        Netlist text, checked by :func:`~spinspice.netlists.guard.check_text` when the deck
        is created.
    saves:
        Vector names the deck saves (lower case), empty if it saves everything.
    analyses:
        Analysis kinds in netlist order (``"op"``, ``"tran"``, ``"dc"``).
    osdi:
        Compiled Verilog-A models the deck loads, as file names relative to the run
        directory (``osdi/…``; see :class:`~spinspice.netlists.job.Job`).
    """

    title: str
    body: str
    saves: tuple[str, ...]
    analyses: tuple[str, ...]
    osdi: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Every deck is checked once, when it is made (the body is immutable).
        check_text(self.body, where="netlist body")

    def text(self, *, num_threads: int = 1, filetype: str = "binary") -> str:
        """Full deck text with our control block."""
        settings = ControlSettings(
            num_threads=num_threads,
            filetype=filetype,  # type: ignore[arg-type]
            osdi=self.osdi,
        )
        return assemble(self.body, settings, body_checked=True)


def render_circuit(
    circuit: Circuit,
    *,
    library_names: Mapping[Path, str],
    osdi_names: tuple[str, ...] = (),
) -> Deck:
    """Render ``circuit`` to a :class:`Deck`.

    Use :func:`spinspice.netlists.job.make_job`, which scans and copies the files; this
    function only writes the text. ``library_names`` maps each library path of the
    circuit to the relative name the deck uses for it, ``osdi_names`` are the relative
    names of the compiled models to load.

    Raises
    ------
    NetlistError
        If the description cannot be rendered or the text fails the guard.
    """
    import jinja2

    from spinspice import __version__

    missing = [str(lib.path) for lib in circuit.libraries if lib.path not in library_names]
    if missing:
        raise NetlistError(f"no job file name for the libraries {missing}")
    try:
        body = _environment().get_template("deck.cir.j2").render(
            c=circuit, version=__version__, libnames=library_names
        )
    except jinja2.TemplateError as exc:
        raise NetlistError(f"netlist template failed: {exc}") from exc
    return Deck(  # checks the body
        title=circuit.title,
        body=body,
        saves=tuple(s.vector for s in circuit.saves),
        analyses=tuple(a.kind for a in circuit.analyses),
        osdi=osdi_names,
    )
