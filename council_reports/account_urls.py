from django.urls import path

from council_reports import token_views

app_name = "account"
urlpatterns = [
    path("tokens/", token_views.token_list, name="tokens"),
    path("tokens/<uuid:uid>/revoke/", token_views.revoke_token, name="revoke_token"),
]
