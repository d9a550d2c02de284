"""One change to Daphne's HTTP server, made when config/asgi.py is loaded: Twisted no longer parses
POST bodies that nobody reads.

Daphne's requests are Twisted `Request`s, and Twisted parses every form or multipart POST body
into `request.args` with the standard library's email parser, on the event loop, before Daphne
hands the raw body to the application. Daphne never reads `args`. The cost was measured here: a
form-encoded webhook's Content-Type parsed with the email package on every request (~9% of a
webhook's CPU in Daphne, `bench webhooks`), and a 10 MB multipart upload from the desk or the
widget parsed in ~290 ms, stalling every socket of the process meanwhile. Twisted's requests take
`parsePOSTFormSubmission=False` for exactly this (twisted#12412); Daphne does not pass it, so its
protocol factory is given a request factory that does.
"""

import inspect

from daphne.http_protocol import HTTPFactory, WebRequest
from twisted.web import http
from twisted.web.iweb import INonQueuedRequestFactory
from zope.interface import provider

SUPPORTED = "parsePOSTFormSubmission" in inspect.signature(http.Request.__init__).parameters


@provider(INonQueuedRequestFactory)
def unparsed_request(channel) -> WebRequest:
    """Daphne's request, its body left for the application alone."""
    return WebRequest(channel, parsePOSTFormSubmission=False)


def leave_bodies_to_the_application() -> None:
    """Make Daphne's HTTP protocols build `unparsed_request`s (once; a Twisted too old to know the
    option keeps its parsing)."""
    if not SUPPORTED or getattr(HTTPFactory.buildProtocol, "parley_unparsed", False):
        return
    build_protocol = HTTPFactory.buildProtocol

    def build_unparsed(self, addr):
        protocol = build_protocol(self, addr)
        if protocol is not None:
            protocol.requestFactory = unparsed_request
        return protocol

    build_unparsed.parley_unparsed = True
    HTTPFactory.buildProtocol = build_unparsed
