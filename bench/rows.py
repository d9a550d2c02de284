"""One line of a benchmark's table in docs/benchmarks.md (bench/render.py)."""

Row = tuple[str, object, object, object, object, object]  # figure, Parley, baseline, ratio, target, met


def row(figure: str, parley, baseline=None, ratio=None, target=None, met=None) -> Row:
    """One line of a benchmark's table; the ratio is Parley / baseline when not given."""
    if ratio is None and isinstance(parley, int | float) and isinstance(baseline, int | float) and baseline:
        ratio = round(parley / baseline, 2)
    return (figure, parley, baseline, ratio, target, met)
