"""Server logs: a traceback or a 500 logged by a server the tests started (the harness's Daphne
processes, and any *.log under pytest's temporary directories: embedded servers, Celery workers)
fails the test during which it was logged. Loaded by tests/conftest.py."""

import json
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from tests.realtime.harness import SERVER_LOGS

SERVER_ERRORS_MARK = "server_errors"
# A record starts a line with its time: plain text, or a JSON line's first field (operations/logs.py).
RECORD_START = re.compile(r'^(?:\[|\{"time": ")?\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d', re.MULTILINE)
SERVER_ERROR = re.compile(r"Traceback \(most recent call last\)|Internal Server Error: ")
EXCERPT_HEAD, EXCERPT_TAIL = 12, 4
# Logged by a library, about nothing of ours, whatever the test: channels_redis's pub/sub layer logs
# a cancelled unsubscribe when a closing socket's consumer is cancelled a second time while it
# lets go of its channel (Daphne's close timeout on a loaded machine). Nothing is lost: the
# subscription ends with the layer's connection. Only that record, ending in CancelledError.
NOT_OURS = re.compile(
    r"channels_redis\.pubsub Unexpected exception while cleaning-up channel:"
    r".*asyncio\.exceptions\.CancelledError\s*$",
    re.S,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SERVER_ERRORS_MARK}(*patterns): the test provokes server errors on purpose; a logged "
        "traceback or 500 matching one of the patterns (regexes) is expected, any other still fails",
    )


@dataclass
class ServerError:
    log: Path
    record: str

    def excerpt(self) -> str:
        lines = self.record.rstrip().splitlines()
        if len(lines) > EXCERPT_HEAD + EXCERPT_TAIL:
            lines = [*lines[:EXCERPT_HEAD], "    ...", *lines[-EXCERPT_TAIL:]]
        return f"{self.log}:\n" + "\n".join(f"  | {line}" for line in lines)


class ServerLogWatch:
    """Reads every server log of the run from where it last stopped: the logs Daphne servers of
    the harness write (SERVER_LOGS) and any *.log under pytest's temporary directories (the
    servers and workers tests start themselves, e.g. tests/flows)."""

    def __init__(self) -> None:
        self.read_up_to: dict[Path, int] = {}
        self.roots: list[Path] = []
        self.searched: set[Path] = set()
        self.found: set[Path] = set()

    def logs(self, *, search_all: bool) -> set[Path]:
        """Each temporary directory (a test's or a fixture's own) is searched when first seen, at
        the end of the test that made it, so a suite's worth of them is not walked after every
        test; `search_all` walks them all again (the run's end)."""
        for root in self.roots:
            for directory in root.iterdir() if root.is_dir() else ():
                if search_all or directory not in self.searched:
                    self.searched.add(directory)
                    self.found.update(directory.rglob("*.log"))
        return {path.resolve() for path in (*SERVER_LOGS, *self.found) if path.exists()}

    def new_errors(self, *, search_all: bool = False) -> list[ServerError]:
        errors = []
        for log in sorted(self.logs(search_all=search_all)):
            errors += [ServerError(log, record) for record in server_errors(self._read_new(log))]
        return errors

    def _read_new(self, log: Path) -> str:
        try:
            with log.open("rb") as stream:
                start = self.read_up_to.get(log, 0)
                if stream.seek(0, 2) < start:  # written again from the start (another run's server)
                    start = 0
                stream.seek(start)
                text = stream.read()
        except FileNotFoundError:  # a temporary directory cleaned up meanwhile
            return ""
        complete = text.rfind(b"\n") + 1  # a line still being written is read next time
        self.read_up_to[log] = start + complete
        return text[:complete].decode(errors="replace")


def server_errors(text: str) -> list[str]:
    """The log records (a record: its first line and the lines that follow until the next) that
    hold a Python traceback or a logged 500. A JSON line (operations/logs.py) is read as the text
    line it stands for, so the same patterns match either format."""
    starts = [0, *(match.start() for match in RECORD_START.finditer(text)), len(text)]
    records = (as_text(text[begin:end]) for begin, end in pairwise(starts))
    return [record for record in records if SERVER_ERROR.search(record) and not NOT_OURS.search(record)]


def as_text(record: str) -> str:
    """A JSON log line as `time level logger message` and its traceback below; anything else as it is."""
    if not record.startswith('{"time": '):
        return record
    line, _, rest = record.partition("\n")
    try:
        fields = json.loads(line)
    except ValueError:
        return record
    text = f"{fields['time']} {fields['level']} {fields['logger']} {fields['message']}"
    if fields.get("exc_info"):
        text += "\n" + fields["exc_info"]
    return text + "\n" + rest


server_log_watch = ServerLogWatch()


@pytest.fixture(scope="session", autouse=True)
def server_logs_under(tmp_path_factory) -> None:
    server_log_watch.roots.append(tmp_path_factory.getbasetemp())


@pytest.fixture(autouse=True)
def server_logs_stay_clean(request, server_logs_under):
    """Fails the test in which a server it used logged a traceback or a 500 (set up before, so
    torn down after, the test's other fixtures). A test that provokes them on purpose says which
    with @pytest.mark.server_errors("pattern", ...)."""
    yield
    expected = [
        re.compile(pattern) for mark in request.node.iter_markers(SERVER_ERRORS_MARK) for pattern in mark.args
    ]
    errors = [
        error
        for error in server_log_watch.new_errors()
        if not any(pattern.search(error.record) for pattern in expected)
    ]
    if errors:
        pytest.fail(
            "A server logged a traceback or a 500 during this test:\n"
            + "\n".join(error.excerpt() for error in errors),
            pytrace=False,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """What the servers logged after the last test's check (while stopping, say) fails the run."""
    errors = server_log_watch.new_errors(search_all=True)
    if not errors:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.section("server logs: tracebacks or 500s after the last test", red=True)
        for error in errors:
            reporter.write_line(error.excerpt())
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
