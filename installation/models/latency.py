"""Per-model run statistics, recorded by the model's worker thread."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ModelStats:
    """What one model did: the provider it ran on and each run's latency in milliseconds."""

    provider: str
    latencies_ms: list[float] = field(default_factory=list)

    def record(self, milliseconds: float) -> None:
        self.latencies_ms.append(milliseconds)  # list.append is atomic under the GIL
