"""The API channel: a business's own app as a channel (docs/channels.md, "API channel").

The business's backend posts its customers' messages and reads their conversations over REST
(`/api/v1/channel/…`, authenticated per inbox by the inbox's API token, not by an agent's), and
receives the agents' replies as signed webhooks (channels_in/adapters/api_channel.py).
"""
