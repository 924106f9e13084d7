"""Outcomes named in configs, parsed in one place: `metric`, `ENTITY:metric` or
`ENTITY:metric@YYYY-MM`.

A sweep keeps metrics (`cohesion` for every institution, `SCO:trust`,
`UZB:engagement.CSTO`); a sensitivity analysis reads outputs at a month
(`SCO:cohesion@2018-10`). Both are an `Outcome`: the entity (an institution or a state
code; empty for a bare institution metric, i.e. every institution), the metric (a
family's metric carries its suffix: `engagement.CSTO`, `trust_in.RUS`) and the month
(empty when undated), the way the EMA Workbench names its outcome objects. Whether the
entity and metric exist in a run is the records' to check (`sim.io.records.check_metrics`);
the month's place in a horizon is the calendar's.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_TEXT = re.compile(r"^(?:(?P<entity>[^:@\s]+):)?(?P<metric>[^:@\s]+)(?:@(?P<month>\d{4}-\d{2}))?$")


class Outcome(NamedTuple):
    """An outcome of a run: `entity` ("" for every institution), `metric`, `month`
    ("YYYY-MM", or "" for every quarter). Unpacks as (entity, metric, month)."""

    entity: str
    metric: str
    month: str

    @classmethod
    def parse(cls, text: object) -> "Outcome":
        """The outcome written `metric`, `ENTITY:metric` or `ENTITY:metric@YYYY-MM`;
        ValueError for any other text (callers say which field it came from)."""
        match = _TEXT.match(str(text))
        if match is None:
            raise ValueError(f"not an outcome (metric, ENTITY:metric or ENTITY:metric@YYYY-MM): {text!r}")
        return cls(match["entity"] or "", match["metric"], match["month"] or "")

    @property
    def series(self) -> str:
        """The outcome without its month: the metric spec a sweep keeps (`SCO:cohesion`)."""
        return f"{self.entity}:{self.metric}" if self.entity else self.metric

    @property
    def family(self) -> str:
        """The metric without its suffix: `engagement` for `engagement.CSTO`."""
        return self.metric.partition(".")[0]

    def __str__(self) -> str:
        return f"{self.series}@{self.month}" if self.month else self.series
