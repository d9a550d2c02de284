"""Work that runs after the transaction commits, once however often the transaction asked for it.

Routing 50 conversations in one transaction moves an inbox's queue 50 times; its customers need
to hear their new positions once, after the last move. `on_commit_once(key, func)` registers
`func` with the transaction's on-commit callbacks unless one for the same key is still pending in
it. A callback Django dropped (its savepoint rolled back) no longer counts, so the next request
registers a fresh one; nothing is ever lost, at worst done twice.
"""

from collections.abc import Callable, Hashable

from django.db import transaction


def on_commit_once(key: Hashable, func: Callable[[], object]) -> None:
    """Run `func` once the current transaction commits, unless `key` is already pending in it.
    Outside a transaction it runs at once, as transaction.on_commit does. Robust: a failure is
    logged and the other callbacks still run."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        func()
        return
    pending: dict[Hashable, Callable[[], None]] = connection.__dict__.setdefault("parley_commit_once", {})
    registered = pending.get(key)
    if registered is not None and any(entry[1] is registered for entry in connection.run_on_commit):
        return

    def run() -> None:
        pending.pop(key, None)
        func()

    pending[key] = run
    transaction.on_commit(run, robust=True)
