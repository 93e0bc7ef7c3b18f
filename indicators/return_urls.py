"""The officer's pages for quarterly returns, under a council, and an observation's history.

`<period>` is a quarter in URL form: `2015-16-q1` for the period coded `2015-16 Q1`.
"""

from django.urls import path, register_converter

from indicators import return_views as views


class QuarterConverter:
    """`2015-16-q1` in a URL is the quarter `2015-16 Q1`; the view checks it is real."""

    regex = r"[0-9]{4}-[0-9]{2}-[qQ][1-4]"

    def to_python(self, value: str) -> str:
        year, _sep, quarter = value.rpartition("-")
        return f"{year} {quarter.upper()}"

    def to_url(self, value: str) -> str:
        return str(value).strip().replace(" ", "-").lower()


register_converter(QuarterConverter, "return_quarter")

app_name = "returns"

RETURN = "councils/<slug:council>/returns/<slug:kind>/<return_quarter:period>/"

urlpatterns = [
    path("councils/<slug:council>/returns/", views.return_list, name="list"),
    path(RETURN, views.edit_return, name="return"),
    path(RETURN + "confirm/", views.confirm_return, name="confirm"),
    path(RETURN + "submit/", views.submit_return, name="submit"),
    path(RETURN + "approve/", views.approve_return, name="approve"),
    path(RETURN + "reopen/", views.reopen_return, name="reopen"),
    path(RETURN + "history/", views.return_history, name="history"),
    path("observations/<int:pk>/history/", views.observation_history, name="observation_history"),
    path(
        "observations/<int:pk>/restore/<int:history_id>/",
        views.restore_observation,
        name="observation_restore",
    ),
]
