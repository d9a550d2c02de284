"""What an email inbox's settings (Inbox.config) must hold, checked where the admin saves them: a
typo shows on the form in words, not as a failed poll or a reply that never leaves, later.

An inbox needs its own address, a way in (a mailbox read by IMAP, or Mailgun forwarding) and a
way out (an SMTP server). Keys are documented in docs/channels.md#email.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

SECURITY = ("ssl", "starttls", "none")
TEXT_KEYS = (
    "imap_host", "imap_username", "imap_password", "imap_folder", "smtp_host", "smtp_username",
    "smtp_password", "mailgun_signing_key", "oauth_token_url", "oauth_client_id",
    "oauth_client_secret", "oauth_refresh_token", "oauth_scope",
)  # fmt: skip


def email_config_problems(config: dict) -> list[str]:
    problems = [f"{key}: text, in quotes." for key in TEXT_KEYS if not isinstance(config.get(key, ""), str)]
    problems += _address_problems(config.get("address"))
    for side in ("imap", "smtp"):
        problems += _port_problems(config, f"{side}_port")
        security = config.get(f"{side}_security", "")
        if security and security not in SECURITY:
            problems.append(f"{side}_security: one of {', '.join(SECURITY)} (not {security!r}).")
    if config.get("imap_host"):
        if not config.get("imap_username"):
            problems.append("imap_username: who signs in to the mailbox.")
        if not (config.get("imap_password") or config.get("oauth_token_url")):
            problems.append("imap_password (or the oauth_ settings): how Parley signs in to the mailbox.")
    elif not config.get("mailgun_signing_key"):
        problems.append(
            "a way in: imap_host (a mailbox Parley reads) or mailgun_signing_key (Mailgun forwarding)."
        )
    if not config.get("smtp_host"):
        problems.append("smtp_host: the mail server replies leave by.")
    if config.get("oauth_token_url"):
        problems += _oauth_problems(config)
    return problems


def _oauth_problems(config: dict) -> list[str]:
    problems = []
    if not str(config["oauth_token_url"]).startswith(("https://", "http://")):
        problems.append("oauth_token_url: the provider's token endpoint, an https:// address.")
    if not config.get("oauth_client_id"):
        problems.append("oauth_client_id: the application (client) id the provider gave you.")
    if not (config.get("oauth_refresh_token") or config.get("oauth_scope")):
        problems.append(
            "oauth_refresh_token (a mailbox's consent: Gmail, Microsoft 365 delegated) or oauth_scope "
            "(Microsoft 365 app-only: https://outlook.office365.com/.default)."
        )
    return problems


def _address_problems(address: object) -> list[str]:
    if not address:
        return ["address: the inbox's own email address (support@your-company.example)."]
    try:
        validate_email(address)
    except ValidationError:
        return [f"address: {address!r} is not an email address."]
    return []


def _port_problems(config: dict, key: str) -> list[str]:
    value = config.get(key)
    if value is None or value == "":
        return []
    port = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.strip().isdigit():
        port = int(value)
    if port is None or not 1 <= port <= 65535:
        return [f"{key}: a number from 1 to 65535 (not {value!r})."]
    return []
