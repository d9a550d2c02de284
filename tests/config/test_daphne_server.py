"""Daphne's requests leave a POST body to the application (config/daphne_server.py): Twisted's own
parse of form and multipart bodies, which Daphne never reads, cost ~9% of a webhook's CPU and
stalled the event loop ~290 ms for a 10 MB upload."""

from daphne.http_protocol import HTTPFactory, WebRequest
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport
from twisted.web import http

import config.asgi  # noqa: F401  (what Daphne loads: it makes the change)
from config.daphne_server import unparsed_request

FORM = b"name=Ada&message=hello"


class Server:
    """What a request asks of Daphne's server while it is made and parsed."""

    def protocol_connected(self, protocol) -> None:
        pass


def received(request: WebRequest) -> WebRequest:
    """The request after Twisted has read a form-encoded POST of FORM (not processed further:
    that is Daphne's, with a running server)."""
    request.process = lambda: None
    request.requestHeaders.setRawHeaders(b"content-type", [b"application/x-www-form-urlencoded"])
    request.requestHeaders.setRawHeaders(b"content-length", [str(len(FORM)).encode()])
    request.gotLength(len(FORM))
    request.handleContentChunk(FORM)
    request.requestReceived(b"POST", b"/hooks/twilio/key/", b"HTTP/1.1")
    return request


def channel() -> http.HTTPChannel:
    """A connected HTTP channel of Daphne's factory, its requests made by the factory's choice."""
    factory = HTTPFactory(Server())
    protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
    assert protocol.requestFactory is unparsed_request
    connected = http.HTTPChannel()
    connected.factory = factory
    connected.makeConnection(StringTransport())
    return connected


def test_daphnes_requests_leave_the_body_unparsed_for_the_application():
    request = received(unparsed_request(channel()))
    assert request.args == {}
    request.content.seek(0)
    assert request.content.read() == FORM  # what Daphne hands the application, whole


def test_twisteds_default_request_would_have_parsed_it():
    request = received(WebRequest(channel()))
    assert request.args == {b"name": [b"Ada"], b"message": [b"hello"]}
