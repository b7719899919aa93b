"""Reports written into the workspace's ``reports/`` folder."""

from personae.reports.identity_report import write_identity_report
from personae.reports.ingest_report import render_ingest_report, write_ingest_report

__all__ = ["render_ingest_report", "write_identity_report", "write_ingest_report"]
