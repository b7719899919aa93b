"""Large files stream: Python holds one batch at a time, DuckDB stays under its memory limit.

Python allocations are traced with tracemalloc while ingesting a file and a file four times
larger; the peaks must be about the same. DuckDB's own memory is capped by
``[engine] memory_limit`` (beyond it DuckDB spills to disk), set low here on purpose.
"""

from __future__ import annotations

import csv
import tracemalloc
from pathlib import Path

from personae import Workspace


def _write_orders(path: Path, rows: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["Order ID", "Order Date", "Customer ID", "Email", "Qty", "Unit Price", "Product Name"]
        )
        for i in range(rows):
            w.writerow(
                [
                    f"O{i}",
                    f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} 10:{i % 60:02d}:00",
                    f"C{i % 5000}",
                    f"person{i % 5000}@example.com",
                    1 + i % 4,
                    f"${10 + i % 90}.99",
                    "Lavender bath soak, 250 ml " * 3,
                ]
            )


def _peak_python_bytes(ws_path: Path, data: Path) -> int:
    ws = Workspace.init(ws_path)
    cfg = ws.path / "personae.toml"
    cfg.write_text(
        cfg.read_text()
        .replace('memory_limit = ""', 'memory_limit = "256MB"')
        .replace("batch_rows = 50000", "batch_rows = 5000")
    )
    ws.reload()
    tracemalloc.start()
    try:
        report = ws.ingest("orders", [data])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.rejected == 0 and report.ingested == report.rows_in
    return peak


def test_python_memory_does_not_grow_with_file_size(tmp_path):
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    _write_orders(small, 30_000)
    _write_orders(large, 120_000)
    peak_small = _peak_python_bytes(tmp_path / "a", small)
    peak_large = _peak_python_bytes(tmp_path / "b", large)
    assert large.stat().st_size > 4 * small.stat().st_size * 0.95
    # Four times the data, not four times the memory (a batch is 5,000 records).
    assert peak_large < 1.5 * peak_small, (peak_small, peak_large)
    assert peak_large < large.stat().st_size / 2
