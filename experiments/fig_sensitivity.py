"""Regenerate docs/figures/sensitivity.png (and .svg) and docs/sensitivity.csv: Morris screening of
ten parameters (10 trajectories x 3 seeds). A file whose content did not change is left untouched."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from sim.io.store import write_if_changed

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "figures"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "sim", "task=sensitivity", "progress=false",
                        f"sensitivity.dir={folder}/runs", f"hydra.run.dir={folder}/out"],
                       check=True, cwd=ROOT)
        made = Path(folder) / "runs"   # the task writes its table and figure beside its runs
        for suffix in ("png", "svg"):
            write_if_changed(OUT / f"sensitivity.{suffix}", (made / f"sensitivity.{suffix}").read_bytes())
        write_if_changed(ROOT / "docs" / "sensitivity.csv", (made / "sensitivity.csv").read_bytes())
    print(OUT / "sensitivity.png")


if __name__ == "__main__":
    main()
