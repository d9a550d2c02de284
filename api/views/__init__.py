"""The API's endpoints: each reads through api.selectors or changes through a service (or an
api.operations function that combines services), then answers with a serializer."""
