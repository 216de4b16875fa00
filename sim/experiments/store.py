"""Results store: one embedded SQLite file per experiment, written one replication per transaction.

Every row is keyed by ``(scenario_hash, point, setup, replication, seed)``: the content hash of the scenario the
replication ran on (so results of a changed scenario are never mixed with the old ones), the design point, the
setup, the replication number and the experiment's root seed. A replication is written in its own transaction as
soon as it finishes, so a batch killed at any moment loses at most the replications in flight; a failed
replication is stored with its traceback and seed, and is retried by the next batch.

Tables: ``points`` (factor values of each design point), ``runs`` (one row per replication: status, seed, error,
wall time, worker, batch), ``kpis`` and ``daily`` (values of a successful replication), ``batches`` (one row per
command that wrote to the file), ``meta``. Reading goes through :meth:`Store.kpi_table` and friends, restricted to
the keys of the current plan; export to CSV and Parquet with :meth:`Store.export`.

Uses only the standard library's sqlite3, plus pandas (and pyarrow for Parquet) when tables are read.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS batches (
    batch INTEGER PRIMARY KEY, started REAL NOT NULL, pid INTEGER, command TEXT);
CREATE TABLE IF NOT EXISTS points (
    scenario_hash TEXT NOT NULL, point INTEGER NOT NULL, params TEXT NOT NULL,
    PRIMARY KEY (scenario_hash, point));
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    scenario_hash TEXT NOT NULL, point INTEGER NOT NULL, setup TEXT NOT NULL, replication INTEGER NOT NULL,
    seed INTEGER NOT NULL, seed_key TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error TEXT, wall_s REAL, worker TEXT, batch INTEGER, finished REAL,
    UNIQUE (scenario_hash, point, setup, replication, seed));
CREATE TABLE IF NOT EXISTS kpis (
    run INTEGER NOT NULL REFERENCES runs(id), idx INTEGER NOT NULL, kpi TEXT NOT NULL, value REAL,
    PRIMARY KEY (run, idx));
CREATE TABLE IF NOT EXISTS daily (
    run INTEGER NOT NULL REFERENCES runs(id), series TEXT NOT NULL, day INTEGER NOT NULL, value REAL,
    PRIMARY KEY (run, series, day));
"""

STATUS_OK, STATUS_FAILED = "ok", "failed"


class StoreError(ValueError):
    """A results store that cannot be used: not an SQLite results file, or another process is writing it."""


class StoreBusy(StoreError):
    """Another process holds the store's writer lock (``<store>.lock``, with its pid)."""


_HELD: dict[str, list[Any]] = {}
"""Writer locks this process holds: store path -> [open lock file, stores using it]."""


@dataclass(frozen=True)
class RunKey:
    """Where one replication belongs: scenario content hash, design point, setup, replication, root seed."""

    scenario_hash: str
    point: int
    setup: str
    replication: int
    seed: int

    def short(self) -> tuple[str, int, str, int, int]:
        return (self.scenario_hash, self.point, self.setup, self.replication, self.seed)


@dataclass
class Outcome:
    """What a worker sends back for one replication: KPIs and daily series, or the traceback of its failure.

    ``result`` is the evaluator's whole result when it returned one (e.g. a ``sim.core.model.Result`` with its
    breakdowns), for an in-memory sink; the store keeps only the KPIs and daily series.
    """

    key: RunKey
    seed_key: str
    status: str
    kpis: dict[str, float] = field(default_factory=dict)
    daily: dict[str, list[float]] = field(default_factory=dict)
    error: str | None = None
    wall_s: float = 0.0
    worker: str = ""
    result: Any = field(default=None, repr=False)


def _num(value: Any) -> float | None:
    """A float for SQLite; NaN becomes NULL (read back as NaN)."""
    x = float(value)
    return None if math.isnan(x) else x


class Store:
    """One experiment's SQLite results file (``":memory:"`` for a throw-away store).

    Only the process that runs the batch writes (workers send their outcomes back); other processes may read
    the file while it is written (WAL journal).
    """

    def __init__(self, path: str | os.PathLike = ":memory:"):
        self.path = str(path)
        self._lock_file: str | None = None
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        try:
            if self.path != ":memory:":
                self.conn.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a committed transaction survives the process being killed (not a power cut)
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:  # a file that is not a database, or a damaged one
            self.conn.close()
            raise StoreError(f"{self.path}: not a usable results store ({exc}); move it away to start afresh")\
                from None
        self.batch: int | None = None

    # ------------------------------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the connection (the file stays, complete up to the last committed replication) and release the
        writer lock."""
        self.conn.close()
        self._release()

    def _writer(self) -> None:
        """Take the store's writer lock on the first write: one writing process at a time, so two sweeps never
        interleave their batches in one file. The lock (``flock`` on ``<store>.lock``) dies with its process, so
        an interrupted or killed sweep never leaves a stale one; stores of one process on the same file share it.
        Raises :class:`StoreBusy` naming the holder."""
        if self._lock_file is not None or self.path == ":memory:":
            return
        try:
            import fcntl
        except ImportError:  # not on a POSIX system: SQLite's own locking still keeps the file consistent
            return
        key = os.path.realpath(self.path)
        held = _HELD.get(key)
        if held is None:
            f = open(key + ".lock", "a+", encoding="utf-8")  # noqa: SIM115 - held until the last close()
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.seek(0)
                holder = f.read().strip() or "another process"
                f.close()
                raise StoreBusy(f"{self.path}: another sweep is writing this results store ({holder}); wait for it "
                                "to finish, or give another --out") from None
            f.seek(0)
            f.truncate()
            f.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
            f.flush()
            held = _HELD[key] = [f, 0]
        held[1] += 1
        self._lock_file = key

    def _release(self) -> None:
        key, self._lock_file = self._lock_file, None
        held = _HELD.get(key) if key is not None else None
        if key is not None and held is not None:
            held[1] -= 1
            if held[1] <= 0:
                del _HELD[key]
                held[0].close()  # closing the descriptor releases the lock

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def begin_batch(self, command: str = "") -> int:
        """Record the start of a batch (a command that runs replications); return its number."""
        self._writer()
        cur = self.conn.execute("INSERT INTO batches (started, pid, command) VALUES (?, ?, ?)",
                                (time.time(), os.getpid(), command))
        assert cur.lastrowid is not None  # sqlite3 sets it after every INSERT
        self.batch = cur.lastrowid
        return self.batch

    def set_meta(self, values: Mapping[str, Any]) -> None:
        self._writer()
        with self._transaction():
            self.conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                  [(k, json.dumps(v, sort_keys=True)) for k, v in values.items()])

    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}

    # ------------------------------------------------------------------------------------------ writing
    def _transaction(self) -> _Tx:
        return _Tx(self.conn)

    def write_points(self, rows: Iterable[tuple[str, int, Mapping[str, Any]]]) -> None:
        """Record design points ``(scenario_hash, point, params)`` (one transaction; existing ones kept)."""
        self._writer()
        with self._transaction():
            self.conn.executemany("INSERT OR IGNORE INTO points (scenario_hash, point, params) VALUES (?, ?, ?)",
                                  [(h, int(p), json.dumps(dict(params))) for h, p, params in rows])

    def write(self, outcome: Outcome) -> None:
        """Store one replication in its own transaction, replacing an earlier failed attempt of the same key."""
        self._writer()
        k = outcome.key
        with self._transaction():
            row = self.conn.execute(
                "INSERT INTO runs (scenario_hash, point, setup, replication, seed, seed_key, status, error, wall_s,"
                " worker, batch, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (scenario_hash, point, setup, replication, seed) DO UPDATE SET"
                " seed_key=excluded.seed_key, status=excluded.status, error=excluded.error, wall_s=excluded.wall_s,"
                " worker=excluded.worker, batch=excluded.batch, finished=excluded.finished RETURNING id",
                (*k.short(), outcome.seed_key, outcome.status, outcome.error, outcome.wall_s, outcome.worker,
                 self.batch, time.time()),
            ).fetchone()
            run_id = int(row[0])
            self.conn.execute("DELETE FROM kpis WHERE run = ?", (run_id,))
            self.conn.execute("DELETE FROM daily WHERE run = ?", (run_id,))
            self.conn.executemany("INSERT INTO kpis (run, idx, kpi, value) VALUES (?, ?, ?, ?)",
                                  [(run_id, i, name, _num(v)) for i, (name, v) in enumerate(outcome.kpis.items())])
            self.conn.executemany(
                "INSERT INTO daily (run, series, day, value) VALUES (?, ?, ?, ?)",
                [(run_id, name, day, _num(v)) for name, values in outcome.daily.items()
                 for day, v in enumerate(values, start=1)])

    # ------------------------------------------------------------------------------------------ reading
    def status(self, seed: int) -> dict[tuple[str, int, str, int], str]:
        """Return ``(scenario_hash, point, setup, replication) -> status`` of every stored run with root ``seed``."""
        cur = self.conn.execute(
            "SELECT scenario_hash, point, setup, replication, status FROM runs WHERE seed = ?", (int(seed),))
        return {(h, p, s, r): st for h, p, s, r, st in cur}

    def count(self, status: str | None = None) -> int:
        """Number of stored runs (of one status if given), over every plan the file has seen."""
        if status is None:
            return int(self.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
        return int(self.conn.execute("SELECT COUNT(*) FROM runs WHERE status = ?", (status,)).fetchone()[0])

    def _select(self, plan: PlanKeys | None) -> str:
        """Fill the temporary table ``sel`` with the plan's (hash, point) pairs; return the WHERE clause."""
        if plan is None:
            return "1"
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS sel (scenario_hash TEXT, point INTEGER, "
                          "PRIMARY KEY (scenario_hash, point))")
        self.conn.execute("DELETE FROM sel")
        self.conn.executemany("INSERT OR IGNORE INTO sel VALUES (?, ?)", plan.points)
        setups = ", ".join("'" + s.replace("'", "''") + "'" for s in plan.setups)
        return (f"r.seed = {int(plan.seed)} AND r.replication < {int(plan.replications)}"
                f" AND r.setup IN ({setups}) AND (r.scenario_hash, r.point) IN (SELECT scenario_hash, point FROM sel)")

    def _frame(self, sql: str, columns: Sequence[str], plan: PlanKeys | None) -> pd.DataFrame:
        """Run ``sql`` (rows already in their order within a run) and sort by point, setup (plan order), replication."""
        import pandas as pd

        where = self._select(plan)
        frame = pd.DataFrame(self.conn.execute(sql.format(where=where)).fetchall(), columns=list(columns))
        if frame.empty:
            return frame
        setups = list(plan.setups) if plan is not None else sorted(set(frame["setup"]))
        frame["_s"] = frame["setup"].map({s: i for i, s in enumerate(setups)})
        frame = frame.sort_values(["point", "_s", "replication"], kind="stable")
        return frame.drop(columns="_s").reset_index(drop=True)

    def kpi_table(self, plan: PlanKeys | None = None) -> pd.DataFrame:
        """Tidy table ``point, setup, replication, kpi, value`` of successful runs (KPI units).

        Sorted by point, setup (plan order), replication, then KPI in the model's order; NaN where a KPI had no
        data. With a plan, only its keys are read: rows of a changed scenario or another seed are left out.
        """
        sql = ("SELECT r.point, r.setup, r.replication, k.kpi, k.value FROM runs r JOIN kpis k ON k.run = r.id"
               " WHERE r.status = 'ok' AND {where} ORDER BY r.id, k.idx")
        frame = self._frame(sql, ["point", "setup", "replication", "kpi", "value"], plan)
        return frame.astype({"point": int, "setup": str, "replication": int, "kpi": str, "value": float})

    def daily_table(self, plan: PlanKeys | None = None) -> pd.DataFrame:
        """Tidy table ``point, setup, replication, series, day, value`` of successful runs (day from 1)."""
        sql = ("SELECT r.point, r.setup, r.replication, d.series, d.day, d.value FROM runs r"
               " JOIN daily d ON d.run = r.id WHERE r.status = 'ok' AND {where} ORDER BY r.id, d.rowid")
        frame = self._frame(sql, ["point", "setup", "replication", "series", "day", "value"], plan)
        return frame.astype({"point": int, "setup": str, "replication": int, "series": str, "day": int,
                             "value": float})

    def runs_table(self, plan: PlanKeys | None = None) -> pd.DataFrame:
        """One row per stored replication: keys, status, seed (entropy:spawn key), error, wall time, worker, batch."""
        sql = ("SELECT r.scenario_hash, r.point, r.setup, r.replication, r.seed, r.seed_key, r.status, r.error,"
               " r.wall_s, r.worker, r.batch FROM runs r WHERE {where} ORDER BY r.id")
        cols = ["scenario_hash", "point", "setup", "replication", "seed", "seed_key", "status", "error", "wall_s",
                "worker", "batch"]
        return self._frame(sql, cols, plan)

    def failures(self, plan: PlanKeys | None = None) -> pd.DataFrame:
        """The failed replications with their seed and traceback."""
        runs = self.runs_table(plan)
        return runs[runs["status"] == STATUS_FAILED].reset_index(drop=True)

    def points_table(self, plan: PlanKeys | None = None) -> pd.DataFrame:
        """``point, scenario_hash`` and one column per factor (dotted path) with its value at that point."""
        import pandas as pd

        rows = self.conn.execute("SELECT scenario_hash, point, params FROM points ORDER BY point").fetchall()
        wanted = set(plan.points) if plan is not None else None
        records = [{"point": p, "scenario_hash": h, **json.loads(params)} for h, p, params in rows
                   if wanted is None or (h, p) in wanted]
        return pd.DataFrame(records)

    def export(self, directory: str | os.PathLike, plan: PlanKeys | None = None,
               formats: Sequence[str] | None = None) -> list[Path]:
        """Write ``runs`` (KPI table joined with the factor values), ``points``, ``replications`` and ``daily``
        tables as CSV and/or Parquet into ``directory``; return the paths written. ``formats`` default: CSV, and
        Parquet too when pyarrow is installed (the ``parquet`` extra); Parquet asked for without it is one line."""
        if formats is None:
            formats = ("csv", "parquet") if parquet_available() else ("csv",)
        elif "parquet" in formats and not parquet_available():
            raise ValueError("formats: 'parquet' needs pyarrow (pip install 'omnisim[parquet]'); 'csv' needs nothing")
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        points = self.points_table(plan)
        kpis = self.kpi_table(plan)
        if not points.empty:
            kpis = kpis.merge(points.drop(columns="scenario_hash"), on="point", how="left")
        tables = {"runs": kpis, "points": points, "replications": self.runs_table(plan),
                  "daily": self.daily_table(plan)}
        written = []
        for name, table in tables.items():
            for fmt in formats:
                path = out / f"{name}.{fmt}"
                if fmt == "csv":
                    table.to_csv(path, index=False)
                elif fmt == "parquet":
                    table.to_parquet(path, index=False, engine="pyarrow")
                else:
                    raise ValueError(f"formats: unknown format {fmt!r}; allowed: csv, parquet")
                written.append(path)
        return written


def parquet_available() -> bool:
    """Whether pyarrow (the ``parquet`` extra, not a core dependency) can be imported."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class PlanKeys:
    """The keys a batch covers: (scenario_hash, point) pairs, setups in order, replications 0..n-1, root seed."""

    points: tuple[tuple[str, int], ...]
    setups: tuple[str, ...]
    replications: int
    seed: int


class _Tx:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
