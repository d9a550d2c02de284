"""What an email message carries beyond its text: the subject, who else was in copy, its HTML
(kept as it arrived: sanitised whenever it is shown), the quoted history and signature folded
away from the body, the References chain a reply continues, and why a machine sent it.

The mail's Message-ID is the message's `provider_message_id`, for mail in and mail out alike:
unique per inbox, so a mail stored twice (two pollers, a replayed webhook) is stored once, and a
reply's In-Reply-To finds the conversation it answers.
"""

from django.db import models

from .messages import Message


class MessageEmail(models.Model):
    message = models.OneToOneField(Message, on_delete=models.CASCADE, primary_key=True, related_name="email")
    subject = models.CharField(max_length=998, blank=True)  # RFC 5322's longest line
    from_address = models.EmailField(max_length=320, blank=True)
    to = models.JSONField(default=list, blank=True)  # addresses, lower-cased
    cc = models.JSONField(default=list, blank=True)
    references = models.TextField(blank=True)  # Message-IDs, space-separated, oldest first
    html = models.TextField(blank=True)
    quoted = models.TextField(blank=True)
    automatic = models.CharField(max_length=200, blank=True)  # why a machine sent it; "" when a person did
    notes = models.JSONField(default=list, blank=True)  # what could not be read, in words
    # Content-ID -> the place among the message's attachments (by pk) of the part it names: what
    # the HTML's cid: images show.
    inline_images = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.message_id}: {self.subject}"
