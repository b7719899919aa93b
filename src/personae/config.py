"""``personae.toml``: the workspace's settings, validated so that a mistake names its key.

The file written by ``personae init`` lists every setting with its default and a comment;
:data:`DEFAULT_TOML` is that text. Loading goes through pydantic models that forbid unknown
keys, and :class:`ConfigError` turns pydantic's errors into one line per bad key with the fix.
"""

from __future__ import annotations

import tomllib
import zoneinfo
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from personae.ingest.schema import KINDS

CONFIG_FILE = "personae.toml"


class ConfigError(Exception):
    """``personae.toml`` is unreadable or holds a bad setting."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkspaceSettings(_Strict):
    name: str = "personae"
    database: str = "personae.duckdb"


def _check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as 'UTC', "
            "'Europe/London' or 'America/New_York'"
        ) from None
    return value


class EngineSettings(_Strict):
    memory_limit: str = Field("", pattern=r"^$|^[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
    threads: int = Field(0, ge=0)


class IngestSettings(_Strict):
    timezone: str = "UTC"
    date_order: Literal["MDY", "DMY"] = "MDY"
    default_calling_code: str = Field("1", pattern=r"^\+?[0-9]{1,3}$")
    batch_rows: int = Field(50_000, ge=100)
    strict: bool = False

    _tz = field_validator("timezone")(_check_timezone)


class SourceConfig(_Strict):
    kind: str
    paths: list[str] = Field(min_length=1)
    format: Literal["auto", "csv", "jsonl", "json", "parquet"] = "auto"
    columns: dict[str, str] = Field(default_factory=dict)
    timezone: str | None = None
    date_order: Literal["MDY", "DMY"] | None = None
    delimiter: str | None = Field(None, min_length=1, max_length=1)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown kind {value!r}; use one of: {', '.join(KINDS)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)


class Config(_Strict):
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid settings"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            parent = err["loc"][:-1]
            model: Any = Config
            for part in parent:
                fields = getattr(model, "model_fields", {})
                if part in fields:
                    model = fields[part].annotation
                elif part in KINDS or isinstance(part, str):
                    model = SourceConfig
            known = ", ".join(getattr(model, "model_fields", {}))
            lines.append(
                f"  - unknown key '{key}'. Known keys here: {known}. "
                "Fix: correct the spelling or remove it."
            )
        elif err["type"] == "missing":
            lines.append(f"  - missing key '{key}'. Fix: add it (see docs/configuration.md).")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"  - '{key}' = {err.get('input')!r}: {msg}.")
    return "\n".join(lines)


def load_config(path: Path) -> Config:
    """Read and validate a ``personae.toml``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: not found. Fix: run `personae init` to create a workspace."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML ({exc}). Fix: correct the line it names."
        ) from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc)) from None


def toml_string(value: str) -> str:
    """A TOML basic string for ``value``."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def source_toml(name: str, source: SourceConfig) -> str:
    """The ``[sources.NAME]`` block for one source, as appended by ``add_source``."""
    lines = [
        f"\n[sources.{name}]",
        f"kind = {toml_string(source.kind)}",
        "paths = [" + ", ".join(toml_string(p) for p in source.paths) + "]",
    ]
    if source.format != "auto":
        lines.append(f"format = {toml_string(source.format)}")
    for key in ("timezone", "date_order", "delimiter"):
        value = getattr(source, key)
        if value is not None:
            lines.append(f"{key} = {toml_string(value)}")
    if source.columns:
        lines.append(f"[sources.{name}.columns]")
        lines += [f"{k} = {toml_string(v)}" for k, v in source.columns.items()]
    return "\n".join(lines) + "\n"


DEFAULT_TOML = """\
# personae workspace settings. Every setting is listed with its default value.
# Reference: docs/configuration.md

[workspace]
# A name shown in reports and the web app.
name = "{name}"
# The DuckDB database file, relative to this folder.
database = "personae.duckdb"

[engine]
# DuckDB memory limit, e.g. "4GB" (empty: DuckDB's default, 80% of RAM). Work beyond it
# spills to disk next to the database, so large files never need more memory than this.
memory_limit = ""
# Worker threads (0: one per core).
threads = 0

[ingest]
# Time zone assumed for timestamps written without an offset (IANA name). Values with an
# offset (Z, +02:00) are converted; everything is stored as UTC.
timezone = "UTC"
# How to read an ambiguous date such as 03/04/2024: "MDY" (US, March 4) or "DMY" (April 3).
date_order = "MDY"
# Country calling code for phone numbers written without one (1 = US/Canada, 44 = UK).
default_calling_code = "1"
# Records per batch when streaming CSV and JSON Lines (memory stays flat whatever the size).
batch_rows = 50000
# When true, any rejected row makes `personae ingest` exit with status 1.
strict = false

# Sources: one block per data source; `personae ingest` (without arguments) ingests them all.
# kind is one of: {kinds}
#
# [sources.crm]
# kind = "contacts"
# paths = ["data/crm_contacts.csv"]   # files or glob patterns, relative to this folder
# format = "auto"                     # auto | csv | jsonl | json | parquet
# timezone = "America/New_York"       # optional, overrides [ingest] for this source
# date_order = "DMY"                  # optional, overrides [ingest] for this source
# delimiter = ";"                     # optional CSV delimiter (sniffed from the header)
# [sources.crm.columns]               # only where auto-detection needs help:
# email = "E-Mail Adresse"            # canonical field = column name in your file
"""


def default_toml(name: str) -> str:
    return DEFAULT_TOML.format(name=name.replace('"', ""), kinds=", ".join(KINDS))
