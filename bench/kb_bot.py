"""The answer bot's first answer, end to end (part of `python -m bench kb`): from a widget
customer's question sent on their socket to the bot's answer arriving on that same socket, through
the real stack: Daphne (the client socket, message_receive), the Redis broker, a Celery worker
(the bot's turn: search, the answer stored, published after commit), the Redis channel layer, and
back to the socket. No generative model.

Each question comes from a new visitor (a new conversation the bot takes). Measured one customer
at a time (the latency a customer sees), then four at once (one worker: queueing shows). The
baseline is the same socket's own round trip without the bot: the server's `message.ack` of the
customer's message (stored, committed, acknowledged).
"""

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

from answerbot.models import AnswerBot
from bench import kb_data
from bench.measure import quantiles
from bench.outbound_helper import Worker
from bench.realtime_clients import first_of, open_socket
from bench.realtime_servers import Server
from bench.scale import scaled
from bench.seed_helper import worker_env
from conversations.models import ChannelType, Inbox
from customer_clients.visitors import visitor_session_open

QUESTIONS = scaled(300, 20)
CROWD = 4
ANSWER_TIMEOUT = 10.0


def log(*parts: object) -> None:
    print("[bench kb-bot]", *parts, file=sys.stderr, flush=True)


def bot_first_answer(pool: dict[str, list[str]], tests: list[tuple[str, str]], workdir: Path) -> dict:
    """The bot's first answer (ms, quantiles) one customer at a time and CROWD at once, beside the
    ack of the same message, and how many were answered at all."""
    portal, _ = kb_data.help_center("bench-bot", pool, questions=5, seed=11)
    inbox = Inbox.objects.create(name="Bench answer bot", channel_type=ChannelType.WEB_WIDGET)
    portal.inboxes.add(inbox)
    AnswerBot.objects.create(inbox=inbox, enabled=True, portal=portal)
    questions = [text for text, _ in tests[:QUESTIONS]]
    tokens = [visitor_session_open(inbox=inbox).connect_token for _ in questions]
    env = worker_env(STATICFILES_MANIFEST="false")
    argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", "config.asgi:application"]
    server = Server("daphne", argv, env, workdir, "daphne-bot")
    worker = Worker("solo", 1, "http://127.0.0.1:9", workdir, suffix="bot")
    server.start()
    worker.start()
    half = 2 + (len(questions) - 2) // 2
    try:
        asyncio.run(_ask_all(server.ws, questions[:2], tokens[:2], 1))  # model and index load, pools fill
        alone = asyncio.run(_ask_all(server.ws, questions[2:half], tokens[2:half], 1))
        crowd = asyncio.run(_ask_all(server.ws, questions[half:], tokens[half:], CROWD))
    finally:
        worker.stop()
        server.stop()
    return {
        "questions": len(alone) + len(crowd),
        "one_at_a_time": _figures(alone),
        f"{CROWD}_at_once": _figures(crowd),
    }


def _figures(timings: list[tuple[float | None, float | None]]) -> dict:
    answers = [answer for answer, _ in timings if answer is not None]
    acks = [ack for _, ack in timings if ack is not None]
    return {
        "asked": len(timings),
        "answered": len(answers),
        "first_answer_ms": quantiles(answers),
        "baseline_ack_ms": quantiles(acks),
    }


async def _ask_all(ws_base: str, questions: list[str], tokens: list[str], at_once: int) -> list[tuple]:
    gate = asyncio.Semaphore(at_once)

    async def one(question: str, token: str) -> tuple[float | None, float | None]:
        async with gate:
            return await _ask(ws_base, question, token)

    return await asyncio.gather(*(one(q, t) for q, t in zip(questions, tokens, strict=True)))


async def _ask(ws_base: str, question: str, token: str) -> tuple[float | None, float | None]:
    """Milliseconds from sending `question` to the bot's message on the same socket, and to the
    server's ack of the question; None for what never came."""
    ws = await open_socket(f"{ws_base}/ws/v1/client/?token={token}")
    answer = ack = None
    try:
        await first_of(ws, "hello", 30)
        sent = time.monotonic()
        await ws.send(
            json.dumps({"type": "message.send", "client_message_id": uuid.uuid4().hex, "body": question})
        )
        deadline = sent + ANSWER_TIMEOUT
        while answer is None and (left := deadline - time.monotonic()) > 0:
            event = json.loads(await asyncio.wait_for(ws.recv(), left))
            message = event.get("message") or {}
            if event.get("type") == "message.ack" and ack is None:
                ack = (time.monotonic() - sent) * 1000
            elif event.get("type") == "message.created" and message.get("sender", {}).get("kind") == "bot":
                answer = (time.monotonic() - sent) * 1000
    except TimeoutError:
        pass
    finally:
        await ws.close()
    return answer, ack
