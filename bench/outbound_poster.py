"""The outbound benchmark's posters: processes of their own (as the desk's web processes are, no
GIL shared with each other or the orchestrator), each calling message_post_reply for its share of
the replies, paced open loop, all starting at one wall-clock moment.

Run by bench/outbound.py as `python -m bench.outbound_poster SPEC.json RESULT.json`, with the
Django settings of the run in its environment. SPEC: agent_id, conversation_ids, replies (pairs
of [index, body]: the index places the reply on the shared schedule and picks its conversation),
rate (replies a second for all posters together; null: as fast as it goes). It prints READY once
set up, reads "GO <epoch seconds>" on stdin, and writes the message ids it created and how far
behind schedule it fell.
"""

import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from conversations import services  # noqa: E402
from conversations.models import Conversation  # noqa: E402


def main(spec_path: str, result_path: str) -> None:
    with open(spec_path) as spec_file:
        spec = json.load(spec_file)
    agent = get_user_model().objects.get(pk=spec["agent_id"])
    by_id = Conversation.objects.select_related("inbox").in_bulk(spec["conversation_ids"])
    conversations = [by_id[pk] for pk in spec["conversation_ids"]]
    rate = spec["rate"]
    print("READY", flush=True)
    start = float(sys.stdin.readline().split()[1])
    ids, late = [], 0.0
    for index, body in spec["replies"]:
        if rate:
            delay = start + index / rate - time.time()
            if delay > 0:
                time.sleep(delay)
            else:
                late = max(late, -delay)
        message = services.message_post_reply(
            conversation=conversations[index % len(conversations)], agent=agent, body=body
        )
        ids.append(message.pk)
    connection.close()
    with open(result_path, "w") as result_file:
        json.dump(
            {"message_ids": ids, "most_behind_schedule_s": round(late, 3), "ended": time.time()}, result_file
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
