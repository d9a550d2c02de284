"""The customer's own clients: the web widget (its loader, frame, HTTP endpoints and socket) and
the client protocol (docs/protocol.md) that a business's own app speaks too."""
