"""Open an input file as bytes, whether it lies on disk, is gzip-compressed or sits in a zip.

Exports often arrive compressed: ``orders.csv.gz`` from a warehouse, or ``export.zip`` with
one CSV per table from a shop or a help desk. A member of a zip is addressed as if the
archive were a folder: ``/data/export.zip/orders.csv``. That path is what ``_source_file``
and ``quarantine`` record, so a rejected row can be found again in the archive.

Readers stream from :func:`open_binary`; the formats that need a seekable file of their own
(Parquet for DuckDB, XLSX for calamine) get one from :func:`local_copy`.
"""

from __future__ import annotations

import gzip
import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from personae.ingest.errors import IngestError

ProgressFn = Callable[[int], None]

# Members of a zip that are data files (the rest — read-me files, Mac resource forks — are
# left out; .txt is here because Excel's "Unicode Text" export is a tab-separated .txt).
MEMBER_SUFFIXES = (
    ".csv",
    ".tsv",
    ".txt",
    ".jsonl",
    ".ndjson",
    ".json",
    ".parquet",
    ".pq",
    ".xlsx",
)


class _CountingReader(io.RawIOBase):
    """Counts bytes read from the underlying (possibly compressed) file, for progress bars."""

    def __init__(self, raw: IO[bytes], counter: Callable[[int], None] | None) -> None:
        self._raw = raw
        self._counter = counter

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._raw.read(len(b))
        n = len(data)
        b[:n] = data
        if self._counter and n:
            self._counter(n)
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def split_archive(path: Path) -> tuple[Path, str] | None:
    """``(archive, member)`` when ``path`` names a file inside a zip, else None."""
    for parent in path.parents:
        if parent.suffix.lower() == ".zip" and parent.is_file():
            return parent, path.relative_to(parent).as_posix()
    return None


def is_member(path: Path) -> bool:
    return not path.exists() and split_archive(path) is not None


def _zip(archive: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise IngestError(
            archive, "is not a readable zip archive", "check that the download is complete"
        ) from None


def archive_members(archive: Path) -> list[Path]:
    """The data files inside a zip, as member paths, in name order."""
    with _zip(archive) as zf:
        names = sorted(
            info.filename
            for info in zf.infolist()
            if not info.is_dir()
            and not info.filename.startswith("__MACOSX/")
            and not Path(info.filename).name.startswith(".")
            and Path(info.filename.lower()).name.removesuffix(".gz").endswith(MEMBER_SUFFIXES)
        )
    if not names:
        raise IngestError(
            archive,
            "the zip archive holds no data file (CSV, TSV, JSON, JSON Lines, Parquet, XLSX)",
            "check the archive's contents, or name the files to ingest",
        )
    return [archive / name for name in names]


def file_size(path: Path) -> int:
    """Bytes on disk, or the uncompressed size of a zip member (0 when unknown)."""
    if path.exists():
        return path.stat().st_size
    found = split_archive(path)
    if found is None:
        return 0
    archive, member = found
    with _zip(archive) as zf:
        try:
            return zf.getinfo(member).file_size
        except KeyError:
            return 0


def open_binary(path: Path, progress: ProgressFn | None = None) -> IO[bytes]:
    """A buffered byte stream of the file's contents, decompressed (``.gz``, zip members)."""
    raw: IO[bytes]
    if is_member(path):
        found = split_archive(path)
        assert found is not None
        archive, member = found
        zf = _zip(archive)
        try:
            raw = zf.open(member)
        except KeyError:
            zf.close()
            raise IngestError(
                path, f"{archive.name} has no member {member!r}", "check the name in the archive"
            ) from None
        except RuntimeError as exc:  # encrypted member
            zf.close()
            raise IngestError(
                path, f"cannot be read from the archive ({exc})", "unpack the archive first"
            ) from None
        zf.close()  # the member keeps the archive file open until it is closed itself
    else:
        try:
            raw = open(path, "rb")  # noqa: SIM115 - closed by the caller's with-block
        except FileNotFoundError:
            raise IngestError(
                path,
                "file not found",
                "check the path (globs are expanded relative to the workspace folder)",
            ) from None
        except IsADirectoryError:
            raise IngestError(path, "is a folder, not a file", "name the files inside it") from None
        except PermissionError:
            raise IngestError(
                path, "cannot be read (permission denied)", "check the file's permissions"
            ) from None
    counted: IO[bytes] = io.BufferedReader(_CountingReader(raw, progress), buffer_size=1 << 20)
    if path.name.lower().endswith(".gz"):
        return gzip.GzipFile(fileobj=counted)  # type: ignore[return-value]
    return counted


def read_head(path: Path, size: int) -> tuple[bytes, bool]:
    """The first ``size`` bytes of the (decompressed) contents; True when that is all of it."""
    with open_binary(path) as fh:
        try:
            head = fh.read(size)
            more = bool(fh.read(1))
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise IngestError(
                path, f"cannot be decompressed ({exc})", "check that the download is complete"
            ) from None
    return head, not more


@contextmanager
def local_copy(path: Path, suffix: str) -> Iterator[Path]:
    """A plain file with the contents of ``path``: itself, or a temporary decompressed copy."""
    if path.exists() and not path.name.lower().endswith(".gz"):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="personae-") as tmp:
        target = Path(tmp) / f"input{suffix}"
        with open_binary(path) as src, open(target, "wb") as dst:
            try:
                shutil.copyfileobj(src, dst, 1 << 20)
            except (OSError, EOFError, zipfile.BadZipFile) as exc:
                raise IngestError(
                    path, f"cannot be decompressed ({exc})", "check that the download is complete"
                ) from None
        yield target
