"""How a drain of set-based batches (the live-session expiry sweep, privacy's retention) leaves
the real-time servers their share of the machine: after each batch it rests in proportion to the
time the batch took, and never less than a floor. On a busy machine batches take longer, so a
drain backs off by itself; on a quiet one it goes as fast as its factor lets it."""


def rest_after(batch_seconds: float, *, factor: float, floor: float) -> float:
    """How long a drain rests after a batch that took `batch_seconds`."""
    return max(floor, batch_seconds * factor)
