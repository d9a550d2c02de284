"""Provider error codes in words an agent can act on: what happened and what to do.

The provider's own message is the fallback for a code not listed here.
"""

TWILIO = {
    "20003": "Twilio refused the inbox's credentials: check the Account SID and auth token.",
    "20429": "Twilio is rate limiting this account; Parley will try again shortly.",
    "21211": "This is not a valid phone number, so Twilio cannot text it.",
    "21408": "This Twilio account may not text this country: enable it under Geo permissions.",
    "21610": "The customer replied STOP and has unsubscribed: they must text START before you can reply.",
    "21612": "Twilio cannot send from this number to this customer's number.",
    "21614": "This number cannot receive text messages (it is not a mobile number).",
    "21617": "The message is longer than SMS allows (1,600 characters).",
    "30003": "The customer's phone is unreachable (switched off or out of coverage).",
    "30004": "The customer's number blocks messages from this sender.",
    "30005": "The customer's number does not exist or is no longer in service.",
    "30006": "This is a landline or a number that cannot receive texts.",
    "30007": "The carrier filtered this message as spam.",
    "30008": "The carrier could not deliver the message (unknown error).",
}

META = {
    "131047": "More than 24 hours have passed since the customer last wrote: only an approved template "
    "can be sent until they write again.",
    "131026": "WhatsApp could not deliver this message (the number may not use WhatsApp).",
    "131051": "WhatsApp does not support this type of message.",
    "131052": "WhatsApp could not download the media from the customer.",
    "131053": "WhatsApp could not upload the media: check its type and size.",
    "130429": "WhatsApp's rate limit was reached; Parley will try again shortly.",
    "131056": "Too many messages to this customer in a short time; Parley will try again shortly.",
    "132000": "The template's parameters do not match the approved template.",
    "132001": "The template does not exist in this language or is not approved.",
    "190": "Meta refused the access token: it expired or was revoked. Generate a new one.",
    "10": "The page or app lacks the permission to send this message.",
    "551": "This person is not available right now (they may have blocked the page).",
    "2018278": "The reply window has closed: the customer must write again before you can reply.",
    "2018108": "This person cannot receive messages from the page right now.",
    "2534022": "The reply window has closed: the customer must write again before you can reply.",
    "100": "Meta refused the request as invalid: check the inbox's ids and the message's content.",
    "131000": "WhatsApp had an internal error; Parley will try again shortly.",
    "131008": "WhatsApp says a required part of the message is missing.",
    "131009": "WhatsApp refused a value in the message (a file link it could not fetch, say).",
    "131021": "The customer's number is the business's own number.",
    "131031": "The WhatsApp business account is locked: see WhatsApp Manager.",
    "131042": "WhatsApp refused the message over a payment problem on the business account.",
    "131045": "The phone number is not registered with the Cloud API.",
    "131049": "WhatsApp held this message back to keep customers from getting too many business "
    "messages; try later or in another way.",
    "131050": "The customer has stopped marketing messages from this business.",
    "133010": "The phone number is not registered with the Cloud API.",
    "368": "Meta has temporarily blocked this account from sending for a policy violation.",
    "80007": "Meta's rate limit for this account was reached; Parley will try again shortly.",
    "4": "Meta's rate limit for this app was reached; Parley will try again shortly.",
    "613": "Meta's rate limit was reached; Parley will try again shortly.",
    "200": "The page or app lacks the permission to send this message.",
    "2018001": "Meta does not know this person on this page (they may have deleted the chat).",
    "1545041": "This person is not available right now (they may have deleted their account).",
}

TELEGRAM = {
    "403": "The customer blocked the bot or deleted their chat: they must start it again.",
    "400": "Telegram refused the message as malformed or the chat does not exist.",
    "401": "Telegram refused the bot token: check it with @BotFather.",
    "429": "Telegram is rate limiting the bot; Parley will try again shortly.",
    "404": "Telegram does not know this bot token: check it with @BotFather.",
}

# Telegram answers one code for several reasons; its description says which.
TELEGRAM_DESCRIPTIONS = {
    "bot was blocked by the user": TELEGRAM["403"],
    "user is deactivated": "The customer's Telegram account was deleted: the message cannot reach them.",
    "bot was kicked": "The bot was removed from this group: add it again to reply here.",
    "bot can't initiate conversation": "The customer has not started the bot, so it cannot write to them.",
    "chat not found": "Telegram does not know this chat: the customer may have deleted it.",
    "message is too long": "The message is longer than Telegram allows (4,096 characters).",
    "failed to get http url content": "Telegram could not fetch the file from Parley's public address "
    "(PUBLIC_URL): it must be reachable from the internet.",
    "wrong file identifier/http url": "Telegram could not fetch the file from Parley's public address "
    "(PUBLIC_URL): it must be reachable from the internet.",
    "file is too big": "Telegram lets bots download files up to 20 MB: this one stays in Telegram.",
    "button_data_invalid": "Telegram refused the message's buttons: each reply's id must be 1 to 64 bytes.",
    "reply markup is too long": "Telegram refused the message's buttons: there are too many.",
}


def twilio_error_in_words(code: str, fallback: str = "") -> str:
    return TWILIO.get(code) or fallback or f"Twilio could not deliver the message (error {code})."


def meta_error_in_words(code: str, fallback: str = "") -> str:
    return META.get(code) or fallback or f"Meta could not deliver the message (error {code})."


def telegram_error_in_words(code: str, fallback: str = "", description: str = "") -> str:
    lowered = description.lower()
    by_description = next((words for phrase, words in TELEGRAM_DESCRIPTIONS.items() if phrase in lowered), "")
    return (
        by_description
        or TELEGRAM.get(code)
        or fallback
        or description
        or f"Telegram could not deliver the message (error {code})."
    )
