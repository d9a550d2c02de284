"""Parley's own settings: how the product behaves (sessions, notices, routing, live chat, the answer
bot, contact costs, generated answers, email inboxes), each from the environment with its default.
The framework's wiring (database, channel layer, Celery, security, providers) stays in
config/settings.py, which imports these; read them through django.conf.settings like any other
setting."""

import os
from datetime import timedelta

# --- Parley's own knobs. ---
PARLEY_DEFAULT_SESSION_TIMEOUT = timedelta(minutes=10)
# Messaging: a reply the customer has not read this long after it was sent is emailed to them
# (when they left an address). Keep it under CELERY_VISIBILITY_TIMEOUT: it is a task's countdown.
PARLEY_REPLY_NOTICE_DELAY = timedelta(seconds=int(os.environ.get("PARLEY_REPLY_NOTICE_DELAY_SECONDS", "120")))
# Routing: how much an assigned messaging conversation weighs against an agent's capacity, by what
# it waits for. A live session always weighs 1.
PARLEY_LOAD_WEIGHTS = {"customer_waiting": 1.0, "on_customer": 0.5, "snoozed": 0.25}
# Messaging: a customer who writes again within this long after their conversation was resolved
# goes back to the agent who had it (if online and under capacity), else to routing.
PARLEY_STICKY_FOR = timedelta(days=int(os.environ.get("PARLEY_STICKY_DAYS", "7")))
# Live chat: how long an agent may be offline (tab closed, network lost) before their live chats
# go back to the queue and to another agent.
PARLEY_LIVE_AGENT_GRACE = timedelta(seconds=int(os.environ.get("PARLEY_LIVE_AGENT_GRACE_SECONDS", "120")))
# Live mode: how long the customer may be gone (widget closed, tab closed, network lost) before
# their session ends as "customer left".
PARLEY_LIVE_LEAVE_GRACE = timedelta(seconds=int(os.environ.get("PARLEY_LIVE_LEAVE_GRACE_SECONDS", "120")))
# Live mode: customers waiting in a queue hear their new positions at once, then at most once more
# per this many seconds however fast the queue moves (a sweep ending hundreds of chats, routing a
# backlog). 0 announces every move.
PARLEY_QUEUE_ANNOUNCE_SECONDS = int(os.environ.get("PARLEY_QUEUE_ANNOUNCE_SECONDS", "1"))

# --- Self-service (knowledge/, answerbot/, docs/knowledge.md). ---
# The bot answers at or above this search score and hands off below it; unset: the threshold
# measured by `python -m bench kb` (knowledge.search.answer_threshold).
_BOT_THRESHOLD = os.environ.get("PARLEY_BOT_THRESHOLD", "")
PARLEY_BOT_THRESHOLD = float(_BOT_THRESHOLD) if _BOT_THRESHOLD else None
# A bot answer the customer neither confirmed nor questioned counts as resolved after this long.
PARLEY_BOT_ASSUME_RESOLVED_AFTER = timedelta(
    hours=int(os.environ.get("PARLEY_BOT_ASSUME_RESOLVED_HOURS", "24"))
)
# What a contact costs, for cost per contact (Gartner's figures by default).
PARLEY_COST_PERSON_CONTACT = float(os.environ.get("PARLEY_COST_PERSON_CONTACT", "8.01"))
PARLEY_COST_SELF_SERVICE_CONTACT = float(os.environ.get("PARLEY_COST_SELF_SERVICE_CONTACT", "0.10"))
# Reports: the time zone whose midnights divide report days (a measure belongs to the day it
# stops in). Each inbox's business time uses the inbox's own zone.
PARLEY_REPORTS_TIME_ZONE = os.environ.get("PARLEY_REPORTS_TIME_ZONE", "UTC")
# Optional generated answers: any OpenAI-compatible chat endpoint. Off unless a base URL is set
# and an inbox's bot turns it on; the answer is written from the retrieved articles only.
PARLEY_GENERATIVE_BASE_URL = os.environ.get("PARLEY_GENERATIVE_BASE_URL", "")
PARLEY_GENERATIVE_API_KEY = os.environ.get("PARLEY_GENERATIVE_API_KEY", "")
PARLEY_GENERATIVE_MODEL = os.environ.get("PARLEY_GENERATIVE_MODEL", "gpt-4o-mini")
PARLEY_GENERATIVE_TIMEOUT_SECONDS = float(os.environ.get("PARLEY_GENERATIVE_TIMEOUT_SECONDS", "20"))

# --- Email inboxes by IMAP IDLE (`manage.py watch_mailboxes`, channels_in/email/idle.py): new mail
# stored within seconds where the server offers IDLE; the beat's 30 s poll reads the others. ---
# RFC 2177: a server may drop a client idle for 30 minutes; IDLE is renewed before that.
PARLEY_IMAP_IDLE_RENEW_SECONDS = float(os.environ.get("PARLEY_IMAP_IDLE_RENEW_SECONDS", str(25 * 60)))
# How often an idling watcher looks up from the socket: the longest a stop waits.
PARLEY_IMAP_IDLE_CHECK_SECONDS = float(os.environ.get("PARLEY_IMAP_IDLE_CHECK_SECONDS", "5"))
# After an error: the first wait before connecting again, doubled per failure up to the maximum.
PARLEY_IMAP_IDLE_RETRY_SECONDS = float(os.environ.get("PARLEY_IMAP_IDLE_RETRY_SECONDS", "5"))
PARLEY_IMAP_IDLE_RETRY_MAX_SECONDS = float(os.environ.get("PARLEY_IMAP_IDLE_RETRY_MAX_SECONDS", "300"))
# How often the set of inboxes is read again: an inbox added, changed or removed is picked up.
PARLEY_IMAP_WATCH_REFRESH_SECONDS = float(os.environ.get("PARLEY_IMAP_WATCH_REFRESH_SECONDS", "30"))
# --- A mail storm from one sender: past this many mails from one address to one inbox within the
# window, the rest are stored but reopen nothing and draw no answer (channels_in/email/storms.py). ---
PARLEY_EMAIL_SENDER_LIMIT = int(os.environ.get("PARLEY_EMAIL_SENDER_LIMIT", "20"))
PARLEY_EMAIL_SENDER_WINDOW_SECONDS = int(os.environ.get("PARLEY_EMAIL_SENDER_WINDOW_SECONDS", "600"))
# --- Where a widget visitor is, for the customer panel: the request headers a CDN or proxy in front
# of Parley sets, first one present wins (comma-separated; empty: none read). Only a proxy you run
# should set them: without one, a visitor could name their own city. No GeoIP database needed. ---
_CITY_HEADERS = os.environ.get("PARLEY_VISITOR_CITY_HEADERS", "CF-IPCity,X-Vercel-IP-City")
PARLEY_VISITOR_CITY_HEADERS = [name.strip() for name in _CITY_HEADERS.split(",") if name.strip()]
_COUNTRY_HEADERS = os.environ.get("PARLEY_VISITOR_COUNTRY_HEADERS", "CF-IPCountry,X-Vercel-IP-Country")
PARLEY_VISITOR_COUNTRY_HEADERS = [name.strip() for name in _COUNTRY_HEADERS.split(",") if name.strip()]
