"""Request and response shapes of the API, one module per resource. Requests are validated here
(types, sizes, references the agent may use); the services then apply the business rules."""
