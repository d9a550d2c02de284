# syntax=docker/dockerfile:1
# Parley's one image. web (Daphne), worker and beat (Celery) and one-off management commands all
# run from it; docker-compose.yml picks the command. See docs/architecture.md, "Processes".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PARLEY_VAR_DIR=/app/var

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. Every package in the lock ships a
# manylinux wheel for CPython 3.11, so the slim image needs no compiler. (The lock also holds the
# dev group: one lock for the whole project.)
COPY requirements.lock ./
RUN pip install -r requirements.lock

RUN groupadd --system --gid 10001 parley \
    && useradd --system --uid 10001 --gid parley --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin parley

# The code stays root-owned: the app user can read it, not change it.
COPY . .

# Static files are collected once, into the image (var/static, served by WhiteNoise). Settings
# refuse to start in the production shape without SECRET_KEY and ALLOWED_HOSTS, and DATABASE_URL is
# what selects that shape (hashed, compressed manifest storage). These values exist for this one
# step only; nothing connects to the database. var/ itself is the app user's: media uploads live in
# var/media (a volume in docker-compose.yml).
RUN mkdir -p static var/media \
    && SECRET_KEY=collectstatic-at-build-time-only \
       ALLOWED_HOSTS=localhost \
       DATABASE_URL=postgres://build@localhost:5432/build \
       python manage.py collectstatic --noinput -v 0 \
    && chown parley:parley var var/media

USER parley
EXPOSE 8000

CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--websocket-max-message-size", "262144", "--websocket-max-frame-size", "262144", "config.asgi:application"]
