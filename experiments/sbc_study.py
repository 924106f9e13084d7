"""Simulation-based calibration of the calibration method (`sim/analysis/sbc.py`).

    python experiments/sbc_study.py OUT calibrate=sbc [TRUTHS]

Draws TRUTHS (default 20) parameter sets from the `calibrate` group's prior, calibrates
against the model's own statistics at each (one resumable calibration folder per truth
under OUT), and writes OUT/sbc.csv (per truth and parameter: the truth, its rank in the
posterior, the 90% interval and whether it covers the truth), OUT/sbc_summary.json
(coverage, whether it lies in 75-100%, the settings, the code version) and
OUT/rank_histogram.png. `experiments/calibration_report.py` reads the folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

import sim  # noqa: E402
from sim.app.config import resolve  # noqa: E402
from sim.analysis.calibration import parse_calibration  # noqa: E402
from sim.analysis.sbc import COVERAGE_BOUNDS, coverage, coverage_holds, sbc  # noqa: E402
from sim.analysis.validation import twin_scenarios  # noqa: E402
from sim.io.store import code_version, write_csv, write_json  # noqa: E402

#: Bins of the rank histogram: with 20 truths, 5 bins of about 4 truths each when uniform.
BINS = 5


def rank_histogram(table: pd.DataFrame, path: Path) -> None:
    """One panel per parameter: the histogram of the truths' ranks in their posteriors,
    with the count a uniform distribution would give (flat when the method is calibrated)."""
    names = list(dict.fromkeys(table["parameter"]))
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), sharey=True, squeeze=False)
    truths = table["truth_number"].nunique()
    for ax, name in zip(axes[0], names):
        ax.hist(table.loc[table["parameter"] == name, "rank"], bins=BINS, range=(0.0, 1.0), color="#4c72b0",
                edgecolor="white")
        ax.axhline(truths / BINS, color="black", linestyle="--", linewidth=1, label="uniform")
        ax.set_title(name.replace("_", " "))
        ax.set_xlabel("rank of the truth in its posterior")
    axes[0][0].set_ylabel("truths")
    axes[0][0].legend(frameon=False, fontsize=8)
    fig.suptitle(f"Simulation-based calibration: {truths} truths, coverage of 90% intervals "
                 f"{coverage(table):.0%}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    out = Path(args[0])
    truths = int(args[-1]) if len(args) > 1 and args[-1].isdigit() else 20
    overrides = [a for a in args[1:] if not a.isdigit()]
    spec = resolve(sim.compose(overrides))
    calibration = parse_calibration(OmegaConf.to_container(spec.config.calibrate, resolve=True))

    def load(name: str):
        return resolve(sim.compose([*overrides, f"scenario={name}"])).scenario

    table = sbc(calibration, twin_scenarios(spec.scenario, load), spec.params, out, truths, progress=True)
    write_csv(table, out / "sbc.csv")
    write_json({"truths": truths, "coverage": coverage(table), "coverage_bounds": list(COVERAGE_BOUNDS),
                "coverage_holds": coverage_holds(table), "calibrate": OmegaConf.to_container(spec.config.calibrate),
                "code_version": code_version()}, out / "sbc_summary.json")
    rank_histogram(table, out / "rank_histogram.png")
    print(f"coverage of 90% intervals: {coverage(table):.2f} over {len(table)} (truth, parameter) pairs; "
          f"{'within' if coverage_holds(table) else 'OUTSIDE'} {COVERAGE_BOUNDS}")


if __name__ == "__main__":
    main()
