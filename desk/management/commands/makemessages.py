"""Django's makemessages without msgmerge's fuzzy matching: a new word never arrives pre-filled
with a neighbour's translation ("Help articles" as "Related articles"), which gettext would then
skip while the desk showed English. `make messages` runs it for the desk's languages."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
