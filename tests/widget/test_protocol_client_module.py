"""The protocol client a business can embed (static/widget/protocol-client.js, docs/protocol.md
"Embedding the protocol client"): it needs no DOM, and another origin's page may import it."""

import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from conversations.models import Message
from tests.backends import ON_POSTGRES, ON_REDIS
from tests.factories.conversations import InboxFactory
from tests.realtime.harness import DaphneServer

WIDGET = settings.BASE_DIR / "static" / "widget"
NODE = shutil.which("node")

# A page of the business's own, minus the page: Node has no DOM at all. It queues a message before
# connecting (the client sends it on hello) and prints what the ack said.
SCRIPT = """
import { ProtocolClient } from %(module)s;

const [server, publicKey] = process.argv.slice(2);
const client = new ProtocolClient({ server, publicKey, language: "en" });
client.on("connection", ({ refused }) => { if (refused) process.exit(3); });
client.on("sent", (item, conversationId) => {
  const held = Array.from(client.conversation(conversationId).messages.values(), (m) => m.body);
  console.log(JSON.stringify({ conversationId, clientMessageId: item.client_message_id, held }));
  process.exit(0);
});
client.queue({ conversation_id: null, body: "Hello from our own app" });
client.connect();
setTimeout(() => process.exit(2), 15000);
"""


def test_the_embeddable_client_imports_only_its_socket_and_http_modules_and_touches_no_dom():
    client = (WIDGET / "protocol-client.js").read_text()
    connection_module = (WIDGET / "protocol-connection.js").read_text()
    http_module = (WIDGET / "protocol-http.js").read_text()
    imports = re.findall(r'^import .* from "(.+)";$', client + connection_module + http_module, flags=re.M)
    assert imports == ["./protocol-connection.js", "./protocol-http.js"]
    for source in (client, connection_module, http_module):
        assert not re.search(r"\b(document|window|parent|localStorage|postMessage)\b", source)


def test_a_page_on_another_origin_may_import_the_client_as_a_module(client):
    answer = client.get("/static/widget/protocol-client.js", HTTP_ORIGIN="https://shop.example.com")
    assert answer.status_code == 200
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert answer["Content-Type"].startswith("text/javascript")


@pytest.fixture(scope="module")
def daphne(django_db_setup, django_db_blocker) -> Iterator[DaphneServer]:
    if not (ON_POSTGRES and ON_REDIS and NODE):
        pytest.skip("the embedded client's journey needs Postgres, Redis and Node")
    log_path = Path(tempfile.mkdtemp(prefix="parley-daphne-")) / "daphne.log"
    with django_db_blocker.unblock():
        server = DaphneServer(log_path=log_path)
    yield server
    server.stop()


def node_command() -> list[str]:
    """Node 21 has WebSocket built in; Node 20 behind a flag."""
    probe = subprocess.run([NODE, "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"], check=False)
    return [NODE] if probe.returncode == 0 else [NODE, "--experimental-websocket"]


def wait_until_the_server_is_idle(seconds: float = 10) -> None:
    """The server writes the closed socket's presence a moment after Node left: let it finish
    before the test's tables are flushed."""
    deadline, quiet = time.monotonic() + seconds, 0
    while quiet < 2 and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state NOT IN ('idle', 'idle in transaction')"
            )
            quiet = quiet + 1 if cursor.fetchone()[0] == 0 else 0
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_with_no_dom_the_client_connects_sends_and_is_acked_once(daphne, tmp_path):
    inbox = InboxFactory(name="Our own app")
    script = tmp_path / "app.mjs"
    script.write_text(SCRIPT % {"module": json.dumps((WIDGET / "protocol-client.js").as_uri())})

    run = subprocess.run(
        [*node_command(), str(script), daphne.http, inbox.public_key],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    wait_until_the_server_is_idle()

    assert run.returncode == 0, run.stderr + daphne.log_tail()
    acked = json.loads(run.stdout)
    stored = Message.objects.get(client_message_id=acked["clientMessageId"])
    assert (stored.conversation_id, stored.body) == (acked["conversationId"], "Hello from our own app")
    assert acked["held"] == ["Hello from our own app"]
