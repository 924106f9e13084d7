"""A calibration's folder on disk: its manifest, generations and their records.

A calibration (`sim.analysis.calibration`) saves each generation's kept population as a
Parquet part with a JSON record (tolerance, acceptance, timing, the part's size and
SHA-256, the record's own SHA-256); the store checks a resumed calibration against the
manifest's spec hash and source digest, and loads the generations that match their
records (removing the first one that does not and all after it, so they run again).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.core.params import Params
from sim.errors import InputError, UserError
from sim.io.store import (code_version, file_digest, fingerprint, read_json, source_digest, spec_hash, write_json,
                          write_parquet)

if TYPE_CHECKING:
    from sim.scenarios.schema import Scenario

log = logging.getLogger(__name__)


class CalibrationStore:
    """A calibration folder: manifest.json (spec, base parameters, scenarios' hash, code
    version; a calibration resumes only under the same spec and the same code, by the
    digest of its source), generations/gNNN.parquet (the kept population after generation NNN) with
    gNNN.json (tolerance, acceptance, timing and the part's size and SHA-256), and, once
    finished, the posterior files (`write_results`). The lock (calibration.lock) is held by
    the calibration writing there."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.generations = self.folder / "generations"
        self.manifest = self.folder / "manifest.json"

    def open(self, identity: dict[str, Any], base: Params, scenarios: dict[str, "Scenario"]) -> None:
        """Create the folder for this calibration (`identity`: its spec's identity), or check
        that it holds the same one."""
        digest = spec_hash(identity, asdict(base), {n: fingerprint(s) for n, s in scenarios.items()})
        self.spec_hash = digest
        if self.manifest.exists():
            held = read_json(self.manifest)
            if held is None or held.get("spec_hash") != digest:
                raise InputError(str(self.manifest), "spec_hash", (held or {}).get("spec_hash"),
                                 f"the same calibration as the one run there ({digest} now): "
                                 "leave calibrate.dir empty (each calibration gets its own folder) or use a new one")
            code = (held.get("code_version") or {}).get("source_digest")
            if code != source_digest():
                raise InputError(str(self.manifest), "code_version.source_digest", code,
                                 f"generations computed by this code (source {source_digest()}): use a new "
                                 "calibrate.dir, or delete the folder to recompute them")
            return
        if any(self.generations.glob("g*.parquet")):
            raise UserError(f"{self.folder} holds generations but no manifest.json, so they cannot be "
                            "checked against this calibration: use a new calibrate.dir, or delete the folder")
        self.generations.mkdir(parents=True, exist_ok=True)
        write_json({"spec": identity, "base_params": asdict(base), "spec_hash": digest,
                    "scenarios": list(scenarios), "code_version": code_version(),
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S")}, self.manifest)

    def save(self, population: pd.DataFrame, meta: dict[str, Any]) -> None:
        """Write a generation's kept population, then its record (which makes it count): the
        generation's meta data, the part's size and SHA-256 and the record's own SHA-256."""
        t = int(meta["generation"])
        part = write_parquet(population, self.generations / f"g{t:03d}.parquet")
        record = {**meta, "part": file_digest(part)}
        write_json({**record, "sha256": _record_digest(record)}, self.generations / f"g{t:03d}.json")

    def load(self) -> list[tuple[pd.DataFrame, dict[str, Any]]]:
        """The complete generations in order; the first incomplete, corrupt or edited one
        (its part or its record not matching the record's digests) and all after it are
        removed (reported in one warning line each), so they run again."""
        done = []
        for t in range(len(list(self.generations.glob("g*.json"))) + 1):
            part, record = self.generations / f"g{t:03d}.parquet", self.generations / f"g{t:03d}.json"
            meta = read_json(record)
            if not _intact(meta, part):
                break
            done.append((pd.read_parquet(part), {k: v for k, v in meta.items() if k != "sha256"}))
        for stale in sorted(self.generations.glob("g*.*")):
            if int(stale.stem[1:]) >= len(done):
                log.warning("%s: incomplete, corrupt or edited generation, removed; it runs again", stale)
                stale.unlink()
        return done

def _record_digest(record: dict[str, Any]) -> str:
    """SHA-256 of a generation record's content (canonical JSON, keys sorted)."""
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()

def _intact(meta: Any, part: Path) -> bool:
    """Whether a generation's record is unedited (its own digest) and its part is the one
    it records (size and SHA-256)."""
    if not isinstance(meta, dict) or not part.exists():
        return False
    record = {k: v for k, v in meta.items() if k != "sha256"}
    return meta.get("sha256") == _record_digest(record) and file_digest(part) == record.get("part")
