"""Ingestion: read every source kind from CSV, JSON Lines, Segment batch JSON or Parquet into
typed ``raw_<kind>`` tables, with every rejected row kept in ``quarantine``."""

from personae.ingest.errors import IngestError, MappingError
from personae.ingest.loader import FileReport, IngestReport, expand_paths, ingest_file
from personae.ingest.schema import KINDS, SourceKind, get_kind

__all__ = [
    "KINDS",
    "FileReport",
    "IngestError",
    "IngestReport",
    "MappingError",
    "SourceKind",
    "expand_paths",
    "get_kind",
    "ingest_file",
]
