"""Mail read as a person reads it (channels_in/email/reading.py): the new part of a reply with
its history and signature folded away, threading headers, HTML made inert, attachments, and
every machine-sent mail recognised; a malformed mail read for what can be read, with a note,
never an exception."""

import time
from email.message import EmailMessage

import pytest

from channels_in.email.reading import read_mail
from conversations.mail_html import html_as_text, sanitized_html
from tests.fixtures import fixture_bytes


def mail(**headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Jane Doe <jane@example.net>")
    message["To"] = headers.pop("To", "support@parley.example")
    message["Subject"] = headers.pop("Subject", "Help")
    message["Message-ID"] = headers.pop("Message_ID", "<m1@example.net>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


def test_a_gmail_reply_keeps_what_the_customer_wrote_now_and_folds_the_rest():
    read = read_mail(fixture_bytes("email/gmail_reply.eml"))

    assert read.text == "Thanks, it arrived this morning — all good!"
    assert "your parcel left our warehouse today" in read.quoted
    assert "Jane Doe | Example Corp" in read.quoted  # the signature: folded, not lost
    assert (read.from_name, read.from_address) == ("Jane Doe", "jane.doe@example.net")
    assert read.cc == ("bob@example.net",)
    assert read.to == ("support+c42.k7qz@parley.example",)
    assert read.subject == "Re: [#42] My order has not arrived"
    assert read.message_id == "<CAF=q9Jx8wq2+ZP1@mail.example.net>"
    # What it answers, nearest first: In-Reply-To, then References newest to oldest.
    assert read.thread_ids == ("<parley.c42.m9.77b0@parley.example>", "<parley.c42.m7.1f3a@parley.example>")
    assert read.sent_at.isoformat() == "2026-12-03T11:13:58+01:00"
    assert (read.automatic, read.bounce, read.notes) == ("", None, ())


def test_html_with_script_styles_and_tracking_images_is_inert():
    read = read_mail(fixture_bytes("email/html_tracking.eml"))
    shown = read.safe_html

    for hostile in ("<script", "onload", "style", "javascript:", "t.shop.example", "document.cookie"):
        assert hostile not in shown
    assert '<img alt="Shop logo">' in shown  # the mail's own image, named by a part it lacks: its words
    assert '<img src="data:image/gif;base64,R0lG" alt="Shop logo">' in sanitized_html(
        read.html, inline_images={"logo.001@shop.example": "data:image/gif;base64,R0lG"}
    )  # the picture, where the caller has it
    assert 'href="https://shop.example/deals"' in shown and 'rel="noopener noreferrer nofollow"' in shown
    # The tracking pixel loads only when the agent asks for remote images.
    assert "https://t.shop.example/open.gif?u=jane" in sanitized_html(read.html, remote_images=True)
    assert read.text == "Deals\n\nUp to 50% off.\n\nClick See deals"  # an HTML-only mail still has text
    assert read.subject == "🎉 Weekly deals"


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
        ({"Auto_Submitted": "auto-generated"}, "Auto-Submitted: auto-generated"),
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"Precedence": "list"}, "Precedence: list"),
        ({"X_Autoreply": "yes"}, "X-Autoreply"),
        ({"List_Id": "<news.shop.example>"}, "a mailing list"),
        ({"From": "MAILER-DAEMON@mx.example.org"}, "a mail server"),
        ({"Auto_Submitted": "no"}, ""),  # said explicitly: a person wrote it
        ({}, ""),
    ],
)
def test_machine_sent_mail_is_recognised(headers, why):
    message = mail(**headers)
    message.set_content("I am away until Monday.")
    assert read_mail(message.as_bytes()).automatic == why


def test_an_out_of_office_reply_is_automatic():
    read = read_mail(fixture_bytes("email/out_of_office.eml"))
    assert read.automatic == "Auto-Submitted: auto-replied"
    assert read.thread_ids == ("<parley.c42.m11.90ac@parley.example>",)


def test_a_bounce_names_the_mail_it_reports_and_why():
    read = read_mail(fixture_bytes("email/bounce_550.eml"))

    assert read.automatic == "a delivery status notification"
    assert read.bounce.original_message_id == "<parley.c77.m3.c0ffee@parley.example>"
    assert read.bounce.recipient == "nobody@example.org"
    assert read.bounce.status == "5.1.1" and read.bounce.permanent
    assert read.bounce.reason == "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"
    assert read.attachments == ()  # the report's parts are the bounce, not files


def test_attachments_inline_images_and_a_forwarded_mail_are_all_kept():
    forwarded = mail(Subject="The original", Message_ID="<orig@example.net>")
    forwarded.set_content("Original text")
    message = mail()
    message.set_content("See attached.")
    message.add_alternative('<p>See attached.<img src="cid:chart@x"></p>', subtype="html")
    message.get_payload()[1].add_related(b"\x89PNG...", maintype="image", subtype="png", cid="<chart@x>")
    message.add_attachment(b"%PDF-1.7 ...", maintype="application", subtype="pdf", filename="invoice.pdf")
    message.add_attachment(forwarded)

    read = read_mail(message.as_bytes())

    assert read.text == "See attached."
    by_name = {attachment.file_name: attachment for attachment in read.attachments}
    assert (
        by_name["invoice.pdf"].content == b"%PDF-1.7 ..."
        and by_name["invoice.pdf"].mime_type == "application/pdf"
    )
    [image] = [attachment for attachment in read.attachments if attachment.content_id == "chart@x"]
    assert image.inline and image.content == b"\x89PNG..."
    [eml] = [attachment for attachment in read.attachments if attachment.mime_type == "message/rfc822"]
    assert eml.file_name.endswith(".eml") and b"Original text" in eml.content


def test_a_thousand_attachments_are_all_read():
    message = mail()
    message.set_content("Logs attached.")
    for number in range(1000):
        message.add_attachment(
            f"line {number}".encode(), maintype="text", subtype="plain", filename=f"log-{number}.txt"
        )

    read = read_mail(message.as_bytes())

    assert [attachment.file_name for attachment in read.attachments] == [f"log-{n}.txt" for n in range(1000)]
    assert read.attachments[999].content == b"line 999"


def test_a_25_mb_mail_is_read_whole():
    payload = bytes(range(256)) * (25 * 1024 * 1024 // 256)
    message = mail()
    message.set_content("The video you asked for.")
    message.add_attachment(payload, maintype="video", subtype="mp4", filename="screen.mp4")
    raw = message.as_bytes()
    assert len(raw) > 33_000_000  # base64 on the wire

    started = time.perf_counter()
    read = read_mail(raw)

    assert read.attachments[0].content == payload
    assert time.perf_counter() - started < 30  # read, not stuck: the exact time is the benchmark's


def test_malformed_mime_is_read_for_what_can_be_read_with_a_note():
    read = read_mail(fixture_bytes("email/malformed.eml"))  # damaged base64, a boundary never closed

    assert read.text == "The printer is on fire."
    assert read.message_id == "<broken@example.net>"
    assert read.notes and read.notes[0].startswith("The mail is malformed (")
    assert [attachment.file_name for attachment in read.attachments] == ["a.pdf"]


@pytest.mark.parametrize(
    ("charset", "body", "text", "note"),
    [
        ("x-no-such-charset", "Grüße aus Köln".encode(), "Grüße aus Köln", "read as UTF-8"),
        ("utf-8", "Grüße aus Köln".encode("latin-1"), "Grüße aus Köln", "read as Latin-1"),
        ("us-ascii", "Grüße".encode(), "Grüße", None),  # a common slip, read without a fuss
        ("iso-8859-1", "Grüße".encode("latin-1"), "Grüße", None),
    ],
)
def test_text_in_a_wrong_or_unknown_charset_is_read_not_dropped(charset, body, text, note):
    raw = (
        b"From: jane@example.net\r\nTo: support@parley.example\r\nSubject: Hallo\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset="
        + charset.encode()
        + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body
    )
    read = read_mail(raw)

    assert read.text == text
    assert (note in " ".join(read.notes)) if note else read.notes == ()


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"From: <<<>>>\r\nSubject: =?utf-8?B?broken?=\r\nDate: yesterday-ish\r\n\r\nHello",
        b"Content-Type: multipart/mixed\r\n\r\nno boundary at all",
        b"From: jane@example.net\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!",
    ],
)
def test_nonsense_never_raises(raw):
    read = read_mail(raw)
    assert isinstance(read.text, str)


def test_a_mail_without_a_sender_or_date_says_so():
    read = read_mail(b"From: <<<>>>\r\nDate: yesterday-ish\r\n\r\nHello")
    assert read.from_address == ""
    assert any("names no address" in note for note in read.notes)
    assert any("date" in note for note in read.notes) and read.sent_at is None
    assert read.text == "Hello"


def test_html_as_text_keeps_blocks_apart_and_reads_no_hidden_content():
    html = "<div>One</div><div>Two<br>Three</div><style>p{}</style><script>x()</script><p>Four &amp; five</p>"
    assert html_as_text(html) == "One\nTwo\nThree\n\nFour & five"


def test_encoded_words_are_decoded_in_names_subjects_and_file_names():
    raw = (
        b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <JM@example.de>\r\nTo: support@parley.example\r\n"
        b"Subject: =?utf-8?B?R3LDvMOfZQ==?=\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=X\r\n\r\n"
        b"--X\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo\r\n"
        b"--X\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="=?utf-8?B?UmVjaG51bmfDvC5wZGY=?="\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--X--\r\n"
    )
    read = read_mail(raw)

    assert (read.from_name, read.from_address, read.subject) == ("Jürgen Müller", "jm@example.de", "Grüße")
    assert [attachment.file_name for attachment in read.attachments] == ["Rechnungü.pdf"]
