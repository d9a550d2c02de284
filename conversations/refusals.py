"""Parley's one refusal: what it will not do, with a stable machine-readable `code` and a
`detail` in words for people. Desk actions, client actions, visitor sessions and media storage
raise it; each edge answers it in its own wire format (a socket error frame with the code, a JSON
4xx, a close code). Nothing was stored by a refused request. Field-by-field validation stays
Django's ValidationError, which the forms, the admin and the REST API already speak."""


class Refused(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
