"""What every load generator measures with: nearest-rank percentiles (also over deliveries that
never arrived) and readings of CPU and memory from /proc. No Django, no asyncio: the generators
(bench/realtime_load.py and the others) run it in processes of their own.
"""

import bisect
import itertools
import os
import resource
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def quantiles(values, cuts=(50, 95, 99)) -> dict:
    """Nearest-rank percentiles (ms in, ms out), max and count; None when there is nothing."""
    if not values:
        return {**{f"p{cut}_ms": None for cut in cuts}, "max_ms": None, "count": 0}
    ordered = sorted(values)
    figures = {
        f"p{cut}_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * cut / 100))], 2) for cut in cuts
    }
    return {**figures, "max_ms": round(ordered[-1], 2), "count": len(ordered)}


def censored_quantiles(arrived: list[float], censored: list[tuple[float, int]], cuts=(50, 95, 99)) -> dict:
    """Percentiles over everything that should have arrived: what arrived counts with its latency,
    what never did (value, how many) with the time it had waited when the step ended, a lower
    bound. `lower_bound` names the figures that fell on such a value (the truth is higher)."""
    arrived = sorted(arrived)
    censored = sorted(censored)
    values = [v for v, _ in censored]
    prefix = list(itertools.accumulate(w for _, w in censored))
    total = len(arrived) + (prefix[-1] if prefix else 0)
    if not total:
        return {**{f"p{cut}_ms": None for cut in cuts}, "max_ms": None, "count": 0, "lower_bound": []}

    def weight_upto(v: float) -> int:
        j = bisect.bisect_right(values, v)
        return prefix[j - 1] if j else 0

    def kth(k: int) -> tuple[float, bool]:
        """The k-th smallest (0-based) of the merged multiset, and whether it is censored."""
        lo, hi = 0, len(arrived)
        while lo < hi:
            mid = (lo + hi) // 2
            if mid + 1 + weight_upto(arrived[mid]) > k:
                hi = mid
            else:
                lo = mid + 1
        best = (arrived[lo], False) if lo < len(arrived) else None
        lo, hi = 0, len(values)
        while lo < hi:
            mid = (lo + hi) // 2
            if prefix[mid] + bisect.bisect_right(arrived, values[mid]) > k:
                hi = mid
            else:
                lo = mid + 1
        if lo < len(values) and (best is None or values[lo] < best[0]):
            best = (values[lo], True)
        return best

    figures: dict = {"lower_bound": []}
    for cut in cuts:
        value, bound = kth(min(total - 1, int(total * cut / 100)))
        figures[f"p{cut}_ms"] = round(value, 2)
        if bound:
            figures["lower_bound"].append(f"p{cut}_ms")
    top_arrived = arrived[-1] if arrived else float("-inf")
    top_censored = values[-1] if values else float("-inf")
    figures["max_ms"] = round(max(top_arrived, top_censored), 2)
    if top_censored >= top_arrived:
        figures["lower_bound"].append("max_ms")
    figures["count"] = len(arrived)
    return figures


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pids: list[int]) -> float | None:
    """CPU seconds used so far by the server processes together."""
    try:
        total = 0.0
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        return total
    except (OSError, IndexError, ValueError):
        return None


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy_seconds() -> float | None:
    """CPU seconds spent by the whole machine (all cores, everything but idle and iowait)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK
    except (OSError, ValueError, IndexError):
        return None


def cpu_stall_seconds() -> float | None:
    """Linux PSI: total time some runnable task waited for a CPU (contention, from anyone)."""
    try:
        with open("/proc/pressure/cpu") as pressure:
            return int(pressure.readline().split("total=")[1]) / 1e6
    except (OSError, ValueError, IndexError):
        return None


class CpuMeter:
    """CPU shares (percent of one core) over an interval: the server processes, this generator, the
    whole machine (so what other processes - Postgres, Redis, anyone else's - took shows), and the
    share of time some task was kept waiting for a CPU."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.t0, self.server0, self.own0 = time.monotonic(), cpu_seconds(pids), own_cpu_seconds()
        self.machine0, self.stall0 = machine_busy_seconds(), cpu_stall_seconds()

    def read(self) -> dict:
        elapsed = max(time.monotonic() - self.t0, 1e-6)

        def share(before, after):
            return None if before is None or after is None else round(100 * (after - before) / elapsed, 1)

        return {
            "server_cpu_pct": share(self.server0, cpu_seconds(self.pids)),
            "loadgen_cpu_pct": share(self.own0, own_cpu_seconds()),
            "machine_cpu_pct": share(self.machine0, machine_busy_seconds()),
            "cpu_stall_pct": share(self.stall0, cpu_stall_seconds()),
        }
