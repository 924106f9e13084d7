"""A sweep's folder on disk: its manifest, run plan, parts and their ledger.

A sweep (`sim.runs.sweep`) writes each chunk's tidy table as one Parquet part and
records its size and SHA-256 in a ledger; the store checks a resumed sweep against the
manifest's spec hash, keeps the parts that match their record and removes the others (so
their chunks run again), and reads the finished runs back for the analyses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.core.params import Params
from sim.errors import InputError, UserError
from sim.io.records import summary_frame
from sim.io.store import (code_version, file_digest, fingerprint, folder_lock, read_json, spec_hash, write_json,
                          write_parquet)

if TYPE_CHECKING:
    from sim.scenarios.schema import Scenario

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartRecord:
    """A written part: its chunk, size in bytes and SHA-256."""

    chunk: int
    size: int
    sha256: str


class SweepStore:
    """A sweep folder: manifest.json, runs.parquet, parts/part-NNNNN.parquet, ledger.json
    (each part's size and SHA-256), runs_summary.parquet (rebuilt from the parts whenever the
    sweep ends) and sweep.lock (held by the sweep writing there)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.parts = self.folder / "parts"
        self.ledger_path = self.folder / "ledger.json"
        self.manifest = self.folder / "manifest.json"
        self.ledger: dict[str, dict[str, Any]] = read_json(self.ledger_path) or {}
        #: Runs the last `run_sweep` into this folder computed (0: all were stored already).
        self.computed = 0

    @contextmanager
    def locked(self) -> Iterator["SweepStore"]:
        """Hold the folder's exclusive lock (`folder_lock`) until the block ends."""
        with folder_lock(self.folder, "sweep"):
            yield self

    def open(self, identity: dict[str, Any], runs: pd.DataFrame, base: Params,
             scenarios: dict[str, Scenario]) -> pd.DataFrame:
        """Create the folder for this spec and plan, or check that it already holds the same
        spec; returns the plan to run: a resumed sweep keeps its first chunking, whatever
        chunk size or worker count it is resumed with."""
        digest = store_digest(identity, base, scenarios)
        if self.manifest.exists():
            return self._resume(digest)
        if any(self.parts.glob("part-*.parquet")):
            raise UserError(f"{self.folder} holds parts but no manifest.json, so they cannot be checked "
                            "against this sweep's spec: use a new sweep.dir, or delete the folder")
        self.parts.mkdir(parents=True, exist_ok=True)
        write_parquet(runs.assign(status="pending"), self.folder / "runs.parquet")
        self.ledger = {}
        write_json(self.ledger, self.ledger_path)
        write_json({"spec": identity, "base_params": asdict(base), "spec_hash": digest,
                    "code_version": code_version(), "runs": int(len(runs)),
                    "chunks": int(runs["chunk"].nunique()), "created": time.strftime("%Y-%m-%dT%H:%M:%S")},
                   self.manifest)
        return runs

    def _resume(self, digest: str) -> pd.DataFrame:
        """Check that the manifest holds this spec, clear what interrupted writes left, reload
        the ledger; return the stored plan."""
        held = read_json(self.manifest)
        if held is None:
            raise UserError(f"{self.manifest} is unreadable: use a new sweep.dir, or delete the folder")
        if held.get("spec_hash") != digest:
            raise InputError(str(self.manifest), "spec_hash", held.get("spec_hash"),
                             f"the same sweep spec as the one run there ({digest} now): "
                             "leave sweep.dir empty (each spec gets its own folder) or use a new one")
        for stale in [*self.parts.glob(".part-*.tmp"), *self.folder.glob(".*.tmp")]:
            stale.unlink()
        self.ledger = read_json(self.ledger_path)
        if self.ledger is None:
            log.warning("%s is missing or unreadable: every part counts as unrecorded", self.ledger_path)
            self.ledger = {}
        return self.runs().drop(columns="status")

    def record(self, entry: PartRecord) -> None:
        """Record a written part's size and SHA-256 in the ledger (rewritten atomically)."""
        self.ledger[str(entry.chunk)] = {"size": entry.size, "sha256": entry.sha256}
        write_json(self.ledger, self.ledger_path)

    def verify(self) -> set[int]:
        """Chunks whose part matches its record. Every other part is reported (one warning
        line each) and removed, so that its chunk runs again."""
        good = set()
        for part in sorted(self.parts.glob("part-*.parquet")):
            chunk = _chunk_of(part)
            problem = _part_problem(part, self.ledger.get(str(chunk)))
            if problem is None:
                good.add(chunk)
                continue
            log.warning("%s: %s; running chunk %d again", part, problem, chunk)
            part.unlink()
        return good

    def part(self, chunk: int) -> Path:
        """Path of a chunk's part."""
        return self.parts / f"part-{chunk:05d}.parquet"

    def done(self) -> set[int]:
        """Chunks whose part is on disk and recorded in the ledger (`verify` checks content)."""
        return {_chunk_of(p) for p in self.parts.glob("part-*.parquet")} & {int(c) for c in self.ledger}

    def finish(self) -> None:
        """Mark every run whose chunk is on disk as done in runs.parquet."""
        runs = pd.read_parquet(self.folder / "runs.parquet")
        runs["status"] = np.where(runs["chunk"].isin(self.done()), "done", "pending")
        write_parquet(runs, self.folder / "runs.parquet")

    def write_summary(self, parameters: Callable[[pd.DataFrame], pd.DataFrame]) -> Path:
        """Write runs_summary.parquet from the parts: one row per finished run (run, scenario,
        design point, seed, and what `parameters` adds to the finished runs' plan: every
        parameter value) with its final reporters among the metrics the sweep keeps
        (`sim.io.records.summary_frame`)."""
        runs = self.runs()
        runs = runs[runs["status"] == "done"].drop(columns=["chunk", "status"])
        series = pd.read_parquet(self.parts, columns=["run", "step", "entity", "metric", "value"])
        return write_parquet(summary_frame(series, parameters(runs)), self.folder / "runs_summary.parquet")

    def timeseries(self, chunks: set[int] | None = None) -> pd.DataFrame:
        """All parts (or those of `chunks`) as one table, ordered by run and row."""
        source = self.parts if chunks is None else [str(self.part(c)) for c in sorted(chunks)]
        frame = pd.read_parquet(source)
        return frame.sort_values(["run", "entity", "metric", "step"], kind="stable").reset_index(drop=True)

    def intact(self) -> set[int]:
        """Chunks whose part is on disk and matches its ledger record (read only: unlike
        `verify`, nothing is removed)."""
        return {_chunk_of(part) for part in self.parts.glob("part-*.parquet")
                if _part_problem(part, self.ledger.get(str(_chunk_of(part)))) is None}

    def finished(self, allow_partial: bool) -> tuple[pd.DataFrame, pd.DataFrame, str]:
        """The runs whose part is intact, their time series and a line saying how many of
        the planned runs they are. Refuses, in one line naming `results`, a sweep with no
        finished run, and an incomplete one unless `allow_partial`."""
        runs, chunks = self.runs(), self.intact()
        done = runs[runs["chunk"].isin(chunks)]
        total = int((read_json(self.manifest) or {}).get("runs", len(runs)))
        counted = f"{len(done)} of {total} runs"
        if done.empty or (len(done) < total and not allow_partial):
            raise InputError("config", "results", str(self.folder),
                             f"a complete sweep (it holds {counted} finished: run it again to finish it"
                             f"{'' if done.empty else ', or allow_partial=true to use the finished ones'})")
        partial = " (allow_partial=true)" if len(done) < total else ""
        return done, self.timeseries(chunks), f"{counted} of the sweep in {self.folder}{partial}"

    def runs(self) -> pd.DataFrame:
        """The run plan with parameters, seeds and status."""
        return pd.read_parquet(self.folder / "runs.parquet")


def _chunk_of(part: Path) -> int:
    """The chunk of a part file (part-NNNNN.parquet)."""
    return int(part.stem.split("-")[1])


def _part_problem(part: Path, recorded: dict[str, Any] | None) -> str | None:
    """Why a part does not match its ledger record, or None if it does."""
    if recorded is None:
        return "no record in ledger.json (the sweep stopped as it was written)"
    actual = file_digest(part)
    if actual["size"] != recorded["size"]:
        return f"{actual['size']} bytes, {recorded['size']} recorded (truncated or overwritten)"
    if actual["sha256"] != recorded["sha256"]:
        return "SHA-256 differs from the recorded one (corrupt)"
    return None


def store_digest(identity: dict[str, Any], base: Params, scenarios: dict[str, Scenario]) -> str:
    """The hash of what determines a sweep's numbers (its identity, the base parameters and
    the scenarios' content): the manifest's `spec_hash` and the suffix of its default folder."""
    return spec_hash(identity, asdict(base), {n: fingerprint(s) for n, s in scenarios.items()})
