"""Shared timing: samples, percentiles, time budgets, formatting, and the machine.

Every figure is a set of samples of one operation timed with
``time.perf_counter``. Slow engines (TinyDB rereads 64 MB per get) would
take hours at n=200, so sampling stops once a figure's time budget is
spent and it has its minimum number of samples; the table says ``n``.
The garbage collector is collected (not disabled) before each figure:
what an engine does with it is part of what is measured.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Seconds one figure may take for one engine before sampling stops at its minimum.
DEFAULT_BUDGET = 20.0


@dataclass
class Samples:
    """Durations of one figure for one engine, in seconds."""

    values: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def p50(self) -> float:
        return statistics.median(self.values)

    @property
    def p95(self) -> float:
        return percentile(self.values, 95)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"n": self.n}
        if self.values:
            out.update(
                p50_ms=self.p50 * 1e3,
                p95_ms=self.p95 * 1e3,
                min_ms=min(self.values) * 1e3,
                max_ms=max(self.values) * 1e3,
            )
        if self.note:
            out["note"] = self.note
        return out


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile, interpolated between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def measure(
    ops: Iterable[Callable[[], object]],
    *,
    n: int,
    warmup: int = 3,
    budget: float = DEFAULT_BUDGET,
    minimum: int = 5,
) -> Samples:
    """Time up to ``n`` operations from ``ops`` after ``warmup`` untimed ones.

    Each item of ``ops`` is one operation, prepared outside the timed call
    (so distinct inputs cost nothing). Warming up stops early for an
    operation slower than a tenth of the budget; sampling stops when the
    budget is spent and ``minimum`` samples are in.
    """
    gc.collect()
    samples = Samples()
    iterator = iter(ops)
    for _ in range(warmup):
        op = next(iterator, None)
        if op is None:
            break
        began = time.perf_counter()
        op()
        if time.perf_counter() - began > budget / 10:
            break
    started = time.perf_counter()
    for op in iterator:
        began = time.perf_counter()
        op()
        samples.values.append(time.perf_counter() - began)
        if samples.n >= n:
            break
        if time.perf_counter() - started > budget and samples.n >= minimum:
            samples.note = f"budget: {samples.n} of {n}"
            break
    return samples


def repeat(op: Callable[[], object], **kwargs: Any) -> Samples:
    """:func:`measure` for an operation that can simply be run again."""
    n = int(kwargs.pop("n"))
    return measure((op for _ in range(n + kwargs.get("warmup", 3))), n=n, **kwargs)


def timed(op: Callable[[], object]) -> float:
    """One untimed-setup call of ``op``: its duration in seconds."""
    began = time.perf_counter()
    op()
    return time.perf_counter() - began


# -- formatting -------------------------------------------------------------------------------


def fmt_ms(seconds: float | None) -> str:
    """A duration with the precision it deserves: 0.012 ms, 1.23 ms, 123 ms, 4.85 s."""
    if seconds is None:
        return "–"
    ms = seconds * 1e3
    if ms < 0.1:
        return f"{ms:.3f} ms"
    if ms < 10:
        return f"{ms:.2f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return ""
    if ratio >= 100:
        return f"{ratio:,.0f}×"
    if ratio >= 10:
        return f"{ratio:.0f}×"
    if ratio >= 1:
        return f"{ratio:.1f}×"
    return f"{ratio:.2g}×"


# -- the machine ------------------------------------------------------------------------------


def machine_info(folder: Path) -> dict[str, str]:
    """CPU, memory, Python, and the file system the figures' files live on."""
    info = {
        "cpus": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "system": f"{platform.system()} {platform.release()}",
        "disk": _disk(folder),
    }
    memory = _memory_gb()
    if memory:
        info["memory"] = memory
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _memory_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.0f} GB"
    except OSError:
        pass
    return ""


def _disk(folder: Path) -> str:
    """The device and file system type holding ``folder`` (from /proc/mounts on Linux)."""
    best = ("", "?", "?")
    try:
        resolved = str(folder.resolve())
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount, fstype = line.split()[:3]
            inside = resolved == mount or resolved.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) > len(best[0]):
                best = (mount, device, fstype)
    except OSError:
        return "?"
    mount, device, fstype = best
    rotational = _rotational(device)
    return f"{device} ({fstype}{rotational}) mounted on {mount}"


def _rotational(device: str) -> str:
    name = Path(device).name.rstrip("0123456789")
    flag = Path(f"/sys/block/{name}/queue/rotational")
    try:
        return ", rotational" if flag.read_text().strip() == "1" else ", non-rotational"
    except OSError:
        return ""
