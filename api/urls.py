"""/api/: version 1 of the REST API, its OpenAPI schema and a browsable description."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .views import catalog, contacts, conversations, knowledge, messages, privacy, profile

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("v1/contacts", contacts.ContactList.as_view(), name="contacts"),
    path("v1/contacts/<int:contact_id>", contacts.ContactDetail.as_view(), name="contact"),
    path(
        "v1/contacts/<int:contact_id>/identities",
        contacts.ContactIdentities.as_view(),
        name="contact-identities",
    ),
    path("v1/contacts/<int:contact_id>/merge", contacts.ContactMerge.as_view(), name="contact-merge"),
    path(
        "v1/contacts/<int:contact_id>/merge-suggestions",
        contacts.ContactMergeSuggestions.as_view(),
        name="contact-merge-suggestions",
    ),
    path("v1/contacts/<int:contact_id>/export", privacy.ContactExport.as_view(), name="contact-export"),
    path("v1/contacts/<int:contact_id>/erase", privacy.ContactErase.as_view(), name="contact-erase"),
    path("v1/conversations", conversations.ConversationList.as_view(), name="conversations"),
    path(
        "v1/conversations/<int:conversation_id>",
        conversations.ConversationDetail.as_view(),
        name="conversation",
    ),
    path(
        "v1/conversations/<int:conversation_id>/assignment",
        conversations.ConversationAssignment.as_view(),
        name="conversation-assignment",
    ),
    path(
        "v1/conversations/<int:conversation_id>/messages",
        messages.MessageList.as_view(),
        name="messages",
    ),
    path(
        "v1/conversations/<int:conversation_id>/messages/<int:message_id>/retry",
        messages.MessageRetry.as_view(),
        name="message-retry",
    ),
    path("v1/labels", catalog.LabelList.as_view(), name="labels"),
    path("v1/inboxes", catalog.InboxList.as_view(), name="inboxes"),
    path("v1/help/search", knowledge.HelpSearch.as_view(), name="help-search"),
    path("v1/portals", knowledge.PortalList.as_view(), name="portals"),
    path("v1/articles", knowledge.ArticleList.as_view(), name="articles"),
    path("v1/articles/<int:article_id>", knowledge.ArticleDetail.as_view(), name="article"),
    path("v1/profile", profile.Profile.as_view(), name="profile"),
    path("v1/profile/token", profile.ProfileToken.as_view(), name="profile-token"),
]
