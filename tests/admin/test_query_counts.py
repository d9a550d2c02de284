"""The busiest lists cost the same number of queries for 3 rows as for 12: no query per row.

The numbers are pinned: session and user (2 for every page), then the list's count and page
queries, one query per related filter's choices and one per prefetch. A list column that walks a
relation per row fails the 12-row case; a new filter or join changes both and asks for a look.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from conversations.models import Contact, Conversation, Message

ROWS = [3, 12]

CHANGELISTS = {
    # url name: (model whose rows are listed, pinned query count)
    # + choices of the inbox, assignee, team and label filters, count, page, labels prefetch
    "admin:conversations_conversation_changelist": (Conversation, 9),
    # + choices of the inbox filter, count, page
    "admin:conversations_message_changelist": (Message, 5),
    # + count, page (conversation counts are a subquery in the page query)
    "admin:conversations_contact_changelist": (Contact, 4),
    # + choices of the team filter, count, full count, page (profiles joined in)
    "admin:auth_user_changelist": (get_user_model(), 6),
}


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, build_business, django_assert_num_queries, url_name, rows
):
    build_business(rows)
    model, pinned = CHANGELISTS[url_name]
    assert model.objects.count() >= rows

    with django_assert_num_queries(pinned):
        response = admin_client.get(reverse(url_name))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= rows
