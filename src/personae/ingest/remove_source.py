"""Take one ``[sources.NAME]`` block out of ``personae.toml``, leaving every other line.

Why text and not a TOML writer: the file is the user's, with comments (the evidence
``personae add`` wrote for each decision, their own notes) that a parse-and-dump would
lose. The block is cut by its table headers; the result is parsed again and must equal the
old settings without that source, else nothing is written and the user is asked to edit the
file by hand.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

from personae.config import CONFIG_FILE, ConfigError
from personae.ingest.ledger import Removed

_HEADER = re.compile(r"^\s*\[")


@dataclass
class SourceRemoval:
    """What ``personae sources remove`` did."""

    name: str
    declared: bool  # the block was in personae.toml (and is gone)
    removed: Removed


def _is_own_header(line: str, name: str) -> bool:
    quoted = "|".join(re.escape(n) for n in (name, f'"{name}"', f"'{name}'"))
    return re.match(rf"^\s*\[\s*sources\s*\.\s*(?:{quoted})\s*[\].]", line) is not None


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def remove_source_block(text: str, name: str) -> str:
    """``text`` without the tables of source ``name`` (``[sources.NAME]`` and its
    ``.columns``/``.identifiers``), its leading comment banner and trailing comments.

    Comments right above a table header belong to it when a blank line (or the file's
    start) precedes them — that is how ``personae add`` writes a block's evidence; comments
    ending a block with no blank line before the next banner stay with the block.
    """
    lines = text.splitlines(keepends=True)
    cut = [False] * len(lines)
    i = 0
    while i < len(lines):
        if not _is_own_header(lines[i], name):
            i += 1
            continue
        start = i
        j = i - 1  # the banner: comment lines directly above, after a blank line
        while j >= 0 and _is_comment(lines[j]):
            j -= 1
        if j < 0 or not lines[j].strip():
            start = j + 1 if j < 0 else j  # the blank line before the banner goes too
        end = i + 1
        while end < len(lines) and not (
            _HEADER.match(lines[end]) and not _is_own_header(lines[end], name)
        ):
            end += 1
        while end - 1 > i and not lines[end - 1].strip():
            end -= 1  # blank lines before the next table stay
        if end < len(lines):  # comments above the next header, after a blank: its banner
            k = end - 1
            while k > i and _is_comment(lines[k]):
                k -= 1
            if k < end - 1 and not lines[k].strip():
                end = k
        for n in range(start, end):
            cut[n] = True
        i = end
    out = "".join(line for line, gone in zip(lines, cut, strict=True) if not gone)
    _check_removed(text, out, name)
    return out


def _without(data: dict[str, Any], name: str) -> dict[str, Any]:
    data = dict(data)
    sources = {k: v for k, v in data.pop("sources", {}).items() if k != name}
    if sources:
        data["sources"] = sources
    return data


def _check_removed(before: str, after: str, name: str) -> None:
    """The edited text must hold exactly the old settings minus the source."""
    try:
        old, new = tomllib.loads(before), tomllib.loads(after)
    except tomllib.TOMLDecodeError:
        new, old = {}, {"x": 1}
    if _without(old, name) != _without(new, "\0") or name in new.get("sources", {}):
        raise ConfigError(
            f"{CONFIG_FILE}: the [sources.{name}] block could not be taken out on its own "
            f"(it is written in a form this command does not edit). Fix: delete the "
            f"[sources.{name}] tables by hand, then run `personae sources remove {name}` "
            "again to remove its rows."
        )
