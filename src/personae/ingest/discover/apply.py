"""Discover sources for a workspace and write them into its ``personae.toml``.

The workspace's existing sources take part as context: their files are not added twice,
and their identifiers are what new files' customer references are matched against.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from personae.config import CONFIG_FILE, ConfigError
from personae.ingest.discover.decide import discover
from personae.ingest.discover.model import Discovery
from personae.ingest.discover.render import blocks
from personae.ingest.errors import IngestError
from personae.ingest.loader import expand_paths

if TYPE_CHECKING:
    from personae.workspace import Workspace


def _context(ws: Workspace) -> dict[str, tuple[str, list[Path], dict[str, str]]]:
    out = {}
    for name, src in ws.config.sources.items():
        try:
            files = expand_paths(src.paths, ws.path)
        except IngestError:
            files = []
        out[name] = (src.kind, files, dict(src.columns))
    return out


def discover_for(
    ws: Workspace, paths: Sequence[str | Path], *, kind: str | None = None
) -> Discovery:
    """What ``personae add PATH...`` would add to ``ws`` (nothing is written)."""
    return discover(
        [Path(p) for p in paths],
        kind=kind,
        context=_context(ws),
        taken=ws.config.sources,
        skip=[ws.path],
    )


def add_files(ws: Workspace, paths: Sequence[str | Path], *, kind: str | None = None) -> Discovery:
    """Discover sources in ``paths`` and append them to ``personae.toml``.

    Decided sources are written as active blocks, undecided ones commented out with the
    choices. The file is validated after writing; if it would not load, it is restored
    and the error raised (a bug, never the user's).
    """
    found = discover_for(ws, paths, kind=kind)
    if not found.sources:
        return found
    cfg = ws.path / CONFIG_FILE
    before = cfg.read_text(encoding="utf-8")
    text = before.rstrip("\n") + "\n" + blocks(found.sources, ws.path)
    cfg.write_text(text, encoding="utf-8")
    try:
        ws.reload()
    except ConfigError:
        cfg.write_text(before, encoding="utf-8")
        ws.reload()
        raise
    return found
