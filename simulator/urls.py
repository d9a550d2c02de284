from django.urls import path

from . import views

app_name = "simulator"
urlpatterns = [
    # make run's demo only (404 unless the provider simulator runs): play a customer.
    path("simulator/", views.page, name="page"),
    path("simulator/api/send", views.send, name="send"),
    path("simulator/api/messages", views.messages, name="messages"),
    path("simulator/api/tap", views.tap, name="tap"),
]
