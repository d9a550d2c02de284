"""The settings keys each channel's inbox shows in the admin as fields of their own, instead of
JSON (conversations.registry.setting_fields); any other key stays in the JSON box. The keys are
the adapters' own; what each must hold is checked by settings_checks.py and email/settings_check.py.
"""

from conversations.models import ChannelType
from conversations.registry import SettingField as Field

META_APP = (
    Field("app_secret", "App secret", "Meta app → Settings → Basic: signs its webhooks", secret=True),
    Field("verify_token", "Verify token", "Any secret; give Meta the same when subscribing", secret=True),
)
PAGE = (
    Field("page_id", "Page id", "The Facebook Page's id"),
    Field("page_access_token", "Page access token", "A long-lived token of the Page", secret=True),
)
SECURITY = ("ssl", "starttls", "none")

SETTING_FIELDS: dict[str, tuple[Field, ...]] = {
    ChannelType.SMS: (
        Field("account_sid", "Account SID", "Twilio console, Account info (AC…)"),
        Field("auth_token", "Auth token", "Beside the Account SID", secret=True),
        Field("phone_number", "Phone number", "The number replies are sent from, with its country code"),
        Field("messaging_service_sid", "Messaging service SID", "Instead of a number (MG…)"),
    ),
    ChannelType.WHATSAPP: (
        Field("phone_number_id", "Phone number id", "WhatsApp Manager → the number's id"),
        Field("waba_id", "WhatsApp Business Account id", "For the message templates"),
        Field("access_token", "Access token", "A system user's permanent token", secret=True),
        *META_APP,
    ),
    ChannelType.MESSENGER: (*PAGE, *META_APP),
    ChannelType.INSTAGRAM: (
        *PAGE,
        *META_APP,
        Field("instagram_account_id", "Instagram account id", "Optional: only this account's messages"),
    ),
    ChannelType.TELEGRAM: (
        Field("bot_token", "Bot token", "What @BotFather gave the bot (123456789:AA…)", secret=True),
        Field("secret_token", "Secret token", "Any secret, passed to setWebhook too", secret=True),
    ),
    ChannelType.EMAIL: (
        Field("address", "Address", "The inbox's own address (support@your-company.example)"),
        Field("imap_host", "IMAP server", "imap.gmail.com, outlook.office365.com…"),
        Field("imap_port", "IMAP port", "993 with ssl, 143 otherwise", number=True),
        Field("imap_security", "IMAP security", choices=SECURITY),
        Field("imap_username", "IMAP username"),
        Field("imap_password", "IMAP password", "An app password; leave empty with OAuth", secret=True),
        Field("imap_folder", "IMAP folder", "INBOX unless said"),
        Field("smtp_host", "SMTP server", "smtp.gmail.com, smtp.office365.com…"),
        Field("smtp_port", "SMTP port", "587 with starttls, 465 with ssl", number=True),
        Field("smtp_security", "SMTP security", choices=SECURITY),
        Field("smtp_username", "SMTP username"),
        Field("smtp_password", "SMTP password", "Leave empty with OAuth", secret=True),
        Field("mailgun_signing_key", "Mailgun signing key", "To take mail forwarded by Mailgun", secret=True),
        Field("oauth_token_url", "OAuth token URL", "Signing in by OAuth instead of passwords"),
        Field("oauth_client_id", "OAuth client id"),
        Field("oauth_client_secret", "OAuth client secret", secret=True),
        Field("oauth_refresh_token", "OAuth refresh token", "Gmail, Microsoft 365 delegated", secret=True),
        Field("oauth_scope", "OAuth scope", "Microsoft 365 app-only: https://outlook.office365.com/.default"),
    ),
    ChannelType.API: (Field("webhook_url", "Webhook URL", "Where agents' replies are POSTed to your app"),),
}
