"""Start the explorer (`sim/app/explorer.py`) privately: `python -m sim.app.explore [solara run options]`.

Solara sends usage telemetry (Mixpanel) and asks PyPI for its latest version by default;
this launcher turns both off (`SOLARA_TELEMETRY_MIXPANEL_ENABLE=False`, `--no-check-version`)
and serves on 127.0.0.1 unless told otherwise. Set the variable to True to send telemetry.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

APP = Path(__file__).resolve().with_name("explorer.py")
#: The variable that switches Solara's usage telemetry (read once, when Solara is imported).
TELEMETRY = "SOLARA_TELEMETRY_MIXPANEL_ENABLE"
#: Environment defaults that keep Solara from contacting anyone (a value already set wins).
PRIVATE_ENV = {TELEMETRY: "False"}
#: Solara's warnings about code and settings that are not the explorer's: its rules-of-hooks
#: check on Mesa's own SolaraViz, and its note that a page served over plain http on an address
#: other than `localhost` gets a `samesite=lax` session cookie (right for a local explorer).
FOREIGN_WARNINGS = (r".*ComponentsView: `use_state` found despite early return",
                    r"Cookies with samesite=none require https")


def solara_arguments(extra: list[str]) -> list[str]:
    """The `solara` command-line arguments: run the explorer, no version check, on
    127.0.0.1 unless `extra` names a host; then `extra`."""
    host = [] if any(a == "--host" or a.startswith("--host=") for a in extra) else ["--host", "127.0.0.1"]
    return ["run", str(APP), "--no-check-version", *host, *extra]


def main(argv: list[str] | None = None) -> None:
    """Set the private environment defaults and hide Solara's `FOREIGN_WARNINGS`, then run
    Solara's command line (it must be imported after them: its settings read the
    environment once, at import)."""
    for key, value in PRIVATE_ENV.items():
        os.environ.setdefault(key, value)
    for message in FOREIGN_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=UserWarning)
    from solara.__main__ import cli
    cli(solara_arguments(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
