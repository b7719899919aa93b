"""Backend connections.

DuckDB is the embedded default engine. Every connection is opened the same way so that
timestamps mean the same thing everywhere: the session time zone is UTC and every stored
timestamp is a naive UTC ``TIMESTAMP`` (microseconds), which is also what Spark reads.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)


def connect(
    database: str | Path = ":memory:", *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection with personae's session settings."""
    con = duckdb.connect(str(database), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def quote_ident(name: str) -> str:
    """Quote an identifier for SQL, whatever characters a source header contains."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal for SQL."""
    return "'" + value.replace("'", "''") + "'"


def spark_session(
    *, app_name: str = "personae", cores: int = 2, memory: str = "2g", tmp_dir: str | Path = ""
):
    """Start (or reuse) a local PySpark session set up to agree with DuckDB.

    The session time zone is UTC (stored timestamps are naive UTC), Arrow transfer is on
    (without it pandas' missing values reach Spark as the string ``'NaN'``), the UI is off
    and shuffles use few partitions because a laptop has few cores. Splink's similarity
    functions jar is put on the class path so fuzzy matching runs on the same session.
    PySpark is an optional dependency: install ``personae[spark]``.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "engine = \"spark\" needs PySpark: pip install 'personae[spark]' (Java 17+ too)"
        ) from exc
    from splink.backends.spark import similarity_jar_location

    builder = (
        SparkSession.builder.appName(app_name)
        .master(f"local[{cores}]")
        .config("spark.driver.memory", memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.log.level", "ERROR")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(max(2, cores * 2)))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
    )
    if tmp_dir:
        builder = builder.config("spark.local.dir", str(tmp_dir)).config(
            "spark.sql.warehouse.dir", str(Path(tmp_dir) / "warehouse")
        )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# --------------------------------------------------------------------------------------
# Engines: where the identity and profile SQL runs.
#
# Identity resolution and profile building are written once, as SQL in DuckDB's dialect
# restricted to what both engines share (see docs/dev/portable-sql.md), and run either on
# the workspace's DuckDB connection or on a local Spark session, which receives the same
# text transpiled by sqlglot. Every step materialises a named table, so each engine keeps
# short plans and the steps can be inspected afterwards.
# --------------------------------------------------------------------------------------


class Engine:
    """The operations the portable pipeline needs from a SQL engine."""

    name: str = "abstract"

    def materialize(self, name: str, select_sql: str) -> None:
        """Run ``select_sql`` and keep its result as the table ``name`` (replacing it)."""
        raise NotImplementedError

    def query(self, select_sql: str) -> pa.Table:
        """Run ``select_sql`` and return the result to Python."""
        raise NotImplementedError

    def register(self, name: str, table: pa.Table) -> None:
        """Make a Python-side Arrow table available to SQL as ``name``."""
        raise NotImplementedError

    def drop(self, name: str) -> None:
        raise NotImplementedError

    def scalar(self, select_sql: str) -> Any:
        """The first value of the first row of ``select_sql`` (None when empty)."""
        result = self.query(select_sql)
        return result.column(0)[0].as_py() if result.num_rows else None

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    def columns(self, name: str) -> list[str]:
        """The column names of a table, in order."""
        raise NotImplementedError


class DuckDBEngine(Engine):
    """Runs the SQL on a DuckDB connection; tables are created in the connection's catalog."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def materialize(self, name: str, select_sql: str) -> None:
        started = time.perf_counter()
        self.con.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS {select_sql}")
        log.debug("duckdb: %s in %.2fs", name, time.perf_counter() - started)

    def query(self, select_sql: str) -> pa.Table:
        return self.con.sql(select_sql).to_arrow_table()

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register("_personae_arrow", table)
        try:
            self.materialize(name, "SELECT * FROM _personae_arrow")
        finally:
            self.con.unregister("_personae_arrow")

    def drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
        self.con.execute(f"DROP VIEW IF EXISTS {quote_ident(name)}")

    def columns(self, name: str) -> list[str]:
        return [r[0] for r in self.con.execute(f"DESCRIBE {quote_ident(name)}").fetchall()]

    def has_table(self, name: str) -> bool:
        return bool(
            self.con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
            ).fetchall()[0][0]
        )


def to_spark_sql(sql: str) -> str:
    """Transpile personae's DuckDB-dialect SQL to Spark SQL."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


class SparkEngine(Engine):
    """Runs the same SQL on a Spark session, transpiled with sqlglot.

    Each materialised table is written as Parquet under ``work_dir`` and read back as a
    temporary view: that cuts Spark's lineage at every step (iterative steps would
    otherwise build ever-longer plans) and keeps memory bounded.
    """

    name = "spark"

    def __init__(self, spark: Any, work_dir: str | Path) -> None:
        self.spark = spark
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        return self.work_dir / name

    def materialize(self, name: str, select_sql: str) -> None:
        started = time.perf_counter()
        df = self.spark.sql(to_spark_sql(select_sql))
        path = self._path(name)
        tmp = path.with_name(path.name + ".writing")
        df.write.mode("overwrite").parquet(str(tmp))
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)
        log.debug("spark: %s in %.2fs", name, time.perf_counter() - started)

    def register_parquet(self, name: str, path: str | Path) -> None:
        """Expose Parquet files (e.g. a raw table exported from DuckDB) as ``name``."""
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def query(self, select_sql: str) -> pa.Table:
        df = self.spark.sql(to_spark_sql(select_sql))
        return df.toArrow() if hasattr(df, "toArrow") else pa.Table.from_pandas(df.toPandas())

    def register(self, name: str, table: pa.Table) -> None:
        path = self._path(name)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        pq.write_table(table, path / "part-0.parquet")
        self.register_parquet(name, path)

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        if self._path(name).exists():
            shutil.rmtree(self._path(name))

    def has_table(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def columns(self, name: str) -> list[str]:
        return list(self.spark.table(name).columns)
