"""Write the posterior the package ships (sim/data/posterior.parquet) from a calibration folder.

    python experiments/package_posterior.py CAL_DIR

The shipped posterior comes from the calibration reported in docs/CALIBRATION.md (which
lists its settings), made at the commit its record names by

    python benchmarks/calibration.py calibrate.dir=CAL_DIR

(the engine of `python -m sim task=calibrate calibrate.dir=CAL_DIR`, timed, on the default
`calibrate` config). The file keeps the weighted sample only (the free parameters, weight and
distance; not the summary statistics), so the package stays small, and its record holds
what made it: the calibration's name, spec hash, base parameters and free parameters, the
command above, the commit and code version, the settings and the folder's creation time
(`python -m sim` and `task=compare`, `score` draw from it by default; `posterior=none`
turns that off). Run it again after a new calibration, with `COMMAND` updated if the
calibration was made otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from sim.app.config import PACKAGED_POSTERIOR
from sim.analysis.calibration import posterior_file
from sim.io.store import parquet_record, read_json, write_parquet

#: The command that made the calibration the package ships (see the docstring).
COMMAND = "python benchmarks/calibration.py calibrate.dir=CAL_DIR"
#: The name of the calibrate config that command used (a posterior.parquet written before
#: the file carried its record does not say).
CALIBRATION = "article_patterns"


def packaged(folder: Path) -> tuple[pd.DataFrame, dict]:
    """The weighted sample of a calibration folder's posterior and its record (what the
    file's own record says or, for a file without one, the folder's manifest.json) with
    the calibration's provenance (command, commit, settings) added."""
    source = posterior_file(folder)
    manifest = read_json(folder / "manifest.json")
    if not source.is_file() or not isinstance(manifest, dict) or "base_params" not in manifest:
        raise SystemExit(f"error: {folder}: not a calibration folder (posterior.parquet and manifest.json, "
                         "from python -m sim task=calibrate)")
    record = parquet_record(source) or {"kind": "posterior", "calibration": CALIBRATION,
                                        "spec_hash": manifest.get("spec_hash"),
                                        "base_params": manifest["base_params"], "free": list(manifest["spec"]["free"])}
    if record.get("kind") != "posterior" or manifest.get("spec_hash") != record.get("spec_hash"):
        raise SystemExit(f"error: {folder}: manifest.json and posterior.parquet name different calibrations")
    sample = pd.read_parquet(source)[[*record["free"], "weight", "distance"]]
    code = manifest.get("code_version", {})
    return sample, {**record, "command": COMMAND, "commit": code.get("git_commit"), "code_version": code,
                    "settings": manifest.get("spec"), "created": manifest.get("created")}


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sample, record = packaged(Path(sys.argv[1]))
    write_parquet(sample, PACKAGED_POSTERIOR, record)
    print(f"{PACKAGED_POSTERIOR}: {len(sample)} particles of '{record['calibration']}' "
          f"(spec hash {record['spec_hash']}, commit {str(record['commit'])[:10]})")


if __name__ == "__main__":
    main()
