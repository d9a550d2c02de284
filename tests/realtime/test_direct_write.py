"""Events reach a connection Daphne serves straight through its transport (sockets.write_now), with
no task or await per frame, whatever middleware wraps the socket's send: the desk's and the floor's
session middleware passes websocket frames on unchanged, so it must not put them on the slow path."""

import functools

import pytest
from channels.sessions import InstanceSessionWrapper
from daphne.server import Server

from customer_clients.consumers import ClientConsumer
from desk.consumers import DeskConsumer


def served_by_daphne(consumer_class, *, session: bool):
    server = Server(application=None, endpoints=["tcp:port=0"])  # never started
    protocol = object()
    send = functools.partial(server.handle_reply, protocol)  # what Daphne hands the application
    if session:
        send = InstanceSessionWrapper({"cookies": {}}, send).send  # the desk's AuthMiddlewareStack
    consumer = consumer_class()
    consumer.base_send = send
    return consumer, server, protocol


@pytest.mark.parametrize(
    ("consumer_class", "session"), [(ClientConsumer, False), (DeskConsumer, True)], ids=["client", "desk"]
)
def test_a_socket_served_by_daphne_writes_to_its_connection_directly(consumer_class, session):
    consumer, server, protocol = served_by_daphne(consumer_class, session=session)
    assert consumer._served_by() == (server, protocol)


def test_a_socket_of_another_server_sends_through_its_own_send():
    consumer = DeskConsumer()

    async def elsewhere(message):
        return None

    consumer.base_send = InstanceSessionWrapper({"cookies": {}}, elsewhere).send
    assert consumer._served_by() is None
