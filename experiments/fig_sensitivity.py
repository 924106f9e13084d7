"""Regenerate docs/figures/sensitivity.png: Morris screening of ten parameters (10 trajectories x 3 seeds)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "figures"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "sim", "task=sensitivity", "progress=false",
                        f"sensitivity.dir={folder}/runs", f"hydra.run.dir={folder}/out"],
                       check=True, cwd=ROOT)
        for suffix in ("png", "svg"):
            shutil.copy(Path(folder) / "out" / f"sensitivity.{suffix}", OUT / f"sensitivity.{suffix}")
        shutil.copy(Path(folder) / "out" / "sensitivity.csv", ROOT / "docs" / "sensitivity.csv")
    print(OUT / "sensitivity.png")


if __name__ == "__main__":
    main()
