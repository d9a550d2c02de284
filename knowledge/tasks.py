"""The knowledge base's background jobs: id-only, each loads and calls one service."""
