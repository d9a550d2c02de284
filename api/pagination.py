"""How lists come in pages. Conversations change order as they get busy, so they page by cursor
(a keyset on last activity: no row skipped or repeated while new messages arrive); the calmer
lists page by number, with a total count."""

import re

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


class StrictPageSize:
    """A page_size that is not a whole number from 1 to the maximum is a 400, where DRF would
    quietly use its default: a client should learn that its request was not understood."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            elif parameter["name"] == "page":
                parameter["schema"].update(minimum=1)
        return parameters


class NumberedPages(StrictPageSize, PageNumberPagination):
    pass


class ActivityCursor(StrictPageSize, CursorPagination):
    """Newest activity first; `-id` breaks ties the same way as the desk and its index."""

    ordering = ("-last_activity_at", "-id")
