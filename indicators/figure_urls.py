"""Included under councils/<council>/figures/."""

from django.urls import path

from indicators import figure_views

app_name = "figures"

urlpatterns = [
    path("new/", figure_views.enter_figure, name="new"),
]
