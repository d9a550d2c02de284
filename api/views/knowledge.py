"""The knowledge base, for agents: search a help center as the widget and the bot do, read and
write its articles (through knowledge.services), list the help centers. Only the help centers
linked to an inbox the agent works (administrators and supervisors: all); any other is not found."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as ServiceRefusal
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from knowledge import services
from knowledge.models import Article
from knowledge.search import QueryRefused

from .. import selectors
from ..pagination import NumberedPages
from ..schema import responses
from ..serializers.knowledge import (
    ArticleCreateSerializer,
    ArticleDetailSerializer,
    ArticleListQuerySerializer,
    ArticleSerializer,
    ArticleUpdateSerializer,
    HelpSearchQuerySerializer,
    PortalSerializer,
    SearchHitSerializer,
)
from .base import found, valid_body, valid_query

TAGS = ["knowledge base"]
# The services name the records; the API names their ids.
API_FIELDS = {
    "category": "category_id",
    "translation_of": "translation_of_id",
    NON_FIELD_ERRORS: "non_field_errors",
}


class HelpSearch(generics.GenericAPIView):
    serializer_class = SearchHitSerializer
    pagination_class = None

    @extend_schema(
        tags=TAGS,
        operation_id="help_search",
        summary="Search a help center's published articles, best answer first",
        description="The same search as the widget and the answer bot. A query that cannot run is a 400 "
        "whose code says why: query_empty, query_too_long (over 500 characters) or unknown_locale.",
        parameters=[HelpSearchQuerySerializer],
        responses=responses({200: SearchHitSerializer(many=True)}, 400, 404),
    )
    def get(self, request: Request) -> Response:
        query = valid_query(HelpSearchQuerySerializer, request)
        portal = found(selectors.portal_for_agent(request.user, query["portal"]), "help center")
        try:
            hits = selectors.help_search(
                portal=portal, query=query["q"], locale=query.get("locale"), limit=query["limit"]
            )
        except QueryRefused as refusal:
            field = "locale" if refusal.code == "unknown_locale" else "q"
            body = {"detail": refusal.detail, "code": refusal.code, "field_errors": {field: [refusal.detail]}}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(SearchHitSerializer(hits, many=True).data)


class PortalList(generics.ListAPIView):
    serializer_class = PortalSerializer
    pagination_class = NumberedPages

    def get_queryset(self):
        return selectors.portals_for_agent(self.request.user)

    @extend_schema(
        tags=TAGS,
        operation_id="portals_list",
        summary="The help centers of your inboxes (administrators and supervisors: all)",
        responses=responses({200: PortalSerializer(many=True)}, 400, 404),
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


class ArticleList(generics.ListAPIView):
    serializer_class = ArticleSerializer
    pagination_class = NumberedPages

    def get_queryset(self):
        query = valid_query(ArticleListQuerySerializer, self.request)
        filters = selectors.ArticleFilters(
            portal=query.get("portal"), status=query.get("status"), locale=query.get("locale")
        )
        return selectors.articles_for_agent(self.request.user, filters)

    @extend_schema(
        tags=TAGS,
        operation_id="articles_list",
        summary="Articles of your help centers, any status (bodies on each article's own page)",
        parameters=[ArticleListQuerySerializer],
        responses=responses({200: ArticleSerializer(many=True)}, 400, 404),
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        tags=TAGS,
        operation_id="articles_create",
        summary="Write an article",
        description="Indexed for search at once; published only with status published.",
        request=ArticleCreateSerializer,
        responses=responses({201: ArticleDetailSerializer}, 400),
    )
    def post(self, request: Request) -> Response:
        given = valid_body(ArticleCreateSerializer, request, **_references(request))
        with refusals_as_invalid():
            article = services.article_create(author=request.user, **given)
        return Response(_detail(request, article.pk), status=status.HTTP_201_CREATED)


class ArticleDetail(generics.GenericAPIView):
    serializer_class = ArticleDetailSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="articles_retrieve",
        summary="An article, with its Markdown body and its questions",
        responses=responses({200: ArticleDetailSerializer}, 404),
    )
    def get(self, request: Request, article_id: int) -> Response:
        return Response(_detail(request, article_id))

    @extend_schema(
        tags=TAGS,
        operation_id="articles_update",
        summary="Change an article",
        description="Fields left out keep their value; questions, when given, is the whole new list. "
        "Re-indexed for search when its text changes.",
        request=ArticleUpdateSerializer,
        responses=responses({200: ArticleDetailSerializer}, 400, 404),
    )
    def patch(self, request: Request, article_id: int) -> Response:
        article = _article(request, article_id)
        given = valid_body(ArticleUpdateSerializer, request, **_references(request))
        new_status = given.pop("status", None)
        with refusals_as_invalid():
            # The fields first: a refusal there leaves the article as it was; a status the
            # serializer accepted is never refused, so the two are applied or neither is.
            if given:
                services.article_update(article=article, actor=request.user, **given)
            if new_status is not None:
                services.article_set_status(article=article, status=new_status, actor=request.user)
        return Response(_detail(request, article_id))


@contextmanager
def refusals_as_invalid() -> Iterator[None]:
    """A knowledge service's refusal (a ValidationError keyed by its field) as the API's 400
    `invalid` naming the request's fields: the body did not pass the knowledge base's rules."""
    try:
        yield
    except ServiceRefusal as refusal:
        errors = (
            refusal.message_dict if hasattr(refusal, "error_dict") else {NON_FIELD_ERRORS: refusal.messages}
        )
        raise serializers.ValidationError(
            {API_FIELDS.get(field, field): messages for field, messages in errors.items()}
        ) from None


def _references(request: Request) -> dict:
    """What a request body may name: the agent's help centers, their categories and articles."""
    return {
        "portals": selectors.portals_for_agent(request.user),
        "categories": selectors.categories_for_agent(request.user),
        "articles": selectors.articles_for_agent(request.user, selectors.ArticleFilters()),
    }


def _article(request: Request, article_id: int) -> Article:
    return found(selectors.article_for_agent(request.user, article_id), "article")


def _detail(request: Request, article_id: int) -> dict:
    return ArticleDetailSerializer(_article(request, article_id)).data
