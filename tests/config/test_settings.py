"""Production is safe by default: settings are checked in fresh interpreters with a given environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/parley",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "SECRET_KEY": "x" * 60 + "-a-long-random-production-key",
    "ALLOWED_HOSTS": "support.example.com",
    "PUBLIC_URL": "https://support.example.com",
}


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in PRODUCTION and key != "DEBUG"}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in PRODUCTION}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_allowed_hosts():
    env = {key: value for key, value in PRODUCTION.items() if key != "ALLOWED_HOSTS"}
    result = run("print(settings.ALLOWED_HOSTS)", **env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is required" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    result = run("print(settings.SECRET_KEY)", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_uses_postgres_redis_and_is_not_in_debug():
    result = run(
        "db = settings.DATABASES['default'];"
        " print(settings.DEBUG, db['ENGINE'], db['CONN_MAX_AGE'], db['OPTIONS']['pool']['max_size'],"
        " settings.CHANNEL_LAYERS['default']['BACKEND'], settings.CELERY_BROKER_URL,"
        " settings.PARLEY_EMBEDDED_WORKER)",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "0",
        "20",
        "config.channel_layer.BoundedPubSubChannelLayer",
        "redis://127.0.0.1:6379/15",
        "False",
    ]


def test_https_public_url_turns_on_secure_cookies_and_hsts_and_passes_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    settings = run(
        "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,"
        " settings.SECURE_HSTS_SECONDS > 0)",
        **PRODUCTION,
    )
    assert settings.stdout.split() == ["True", "True", "True"]


def test_embedded_shape_needs_nothing(tmp_path):
    result = run(
        "print(settings.DATABASES['default']['ENGINE'], settings.CHANNEL_LAYERS['default']['BACKEND'],"
        " settings.CELERY_BROKER_URL, settings.PARLEY_EMBEDDED_WORKER)",
        PARLEY_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "memory://localhost/",
        "True",
    ]
    assert (tmp_path / "secret_key").exists()


def test_a_named_bucket_puts_attachments_on_s3_compatible_storage():
    code = (
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.querystring_auth)"
    )
    result = run(
        code, MEDIA_S3_BUCKET="parley-media", MEDIA_S3_ENDPOINT_URL="http://minio:9000", **PRODUCTION
    )
    assert result.stdout.split() == ["S3Storage", "parley-media", "http://minio:9000", "True"], result.stderr
    plain = run("from django.core.files.storage import storages; print(type(storages['default']).__name__)")
    assert plain.stdout.strip() == "FileSystemStorage"
