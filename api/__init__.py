"""The agents' REST API (/api/v1/, docs/api.md): thin DRF views over the core's services and the
desk's selectors, scoped to the inboxes each agent works. Its schema is served at /api/schema/."""
