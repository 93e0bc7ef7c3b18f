"""Generated commentary on an indicator, which an author then edits: the latest figure and
its direction of travel (given the polarity), the change since the first period shown, the
gap to each comparator in the latest period, the rank where known, and a caution where the
figure rests on few cases. Plain sentences built from the same frame as the table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from indicators import derive


def _figure(value: float | None, info: dict[str, Any]) -> str:
    if value is None:
        return _("no figure")
    return derive.as_printed(Decimal(repr(value)), info["unit"], info["decimals"])


def _points(info: dict[str, Any]) -> str:
    return _(" percentage points") if info["unit"] == "percent" else ""


def generate(data: dict[str, Any], council: str) -> str:
    """Commentary on the block's first indicator, from its frame records."""
    if not data.get("indicators"):
        return ""
    info = data["indicators"][0]
    records = data["frames"].get(info["code"], [])
    own = [r for r in records if r["series"] == council]
    present = [r for r in own if r["value"] is not None]
    if not present:
        return _("There is no figure for %(council)s on this indicator in the periods shown.") % {
            "council": council
        }
    decimals = info["decimals"]
    latest = present[-1]
    sentences = []
    value = Decimal(repr(latest["value"]))
    sentences.append(
        _("%(council)s's figure was %(value)s in %(period)s.")
        % {
            "council": council,
            "value": _figure(latest["value"], info),
            "period": latest["period_label"],
        }
    )
    if len(present) > 1:
        previous = present[-2]
        direction = derive.direction_of_travel(
            Decimal(repr(previous["value"])), value, info["polarity"], decimals
        )
        words = {
            derive.Direction.IMPROVING: _("an improvement"),
            derive.Direction.DECLINING: _("a decline"),
            derive.Direction.STEADY: _("no change"),
            derive.Direction.INCREASING: _("an increase"),
            derive.Direction.DECREASING: _("a decrease"),
        }
        said = {
            "direction": words.get(direction, _("no change")),
            "value": _figure(previous["value"], info),
            "period": previous["period_label"],
            "polarity": info["polarity_label"].lower(),
        }
        if info["polarity"] == "neither":  # a count that is neither better nor worse higher
            sentences.append(_("That is %(direction)s on %(value)s in %(period)s.") % said)
        else:
            sentences.append(
                _("That is %(direction)s on %(value)s in %(period)s (%(polarity)s).") % said
            )
        first = present[0]
        if first is not previous:
            change = derive.round_half_up(value, decimals) - derive.round_half_up(
                Decimal(repr(first["value"])), decimals
            )
            if change:
                sentences.append(
                    _("Since %(period)s (%(value)s) it has %(verb)s by %(change)s%(points)s.")
                    % {
                        "period": first["period_label"],
                        "value": _figure(first["value"], info),
                        "verb": _("risen") if change > 0 else _("fallen"),
                        "change": f"{abs(change):,.{decimals}f}",
                        "points": _points(info),
                    }
                )
    for series in dict.fromkeys(r["series"] for r in records if r["series"] != council):
        other = next(
            (
                r
                for r in records
                if r["series"] == series
                and r["period"] == latest["period"]
                and r["value"] is not None
            ),
            None,
        )
        if other is None:
            continue
        gap = derive.gap_to(value, Decimal(repr(other["value"])), info["polarity"], decimals)
        if gap is None:
            continue
        if gap.side == derive.Side.LEVEL:
            sentences.append(
                _("It is level with the %(series)s (%(value)s).")
                % {"series": series, "value": _figure(other["value"], info)}
            )
            continue
        better = {
            derive.Standing.BETTER: _(", which is better"),
            derive.Standing.WORSE: _(", which is worse"),
        }.get(gap.standing, "")
        sentences.append(
            _("It is %(gap)s%(points)s %(side)s the %(series)s of %(value)s%(better)s.")
            % {
                "gap": f"{gap.amount:,.{decimals}f}",
                "points": _points(info),
                "side": _("above") if gap.side == derive.Side.ABOVE else _("below"),
                "series": series,
                "value": _figure(other["value"], info),
                "better": better,
            }
        )
    rank = data.get("ranks", {}).get(info["code"])
    if rank:
        sentences.append(
            _("It ranks %(position)s of %(of)s councils in %(nation)s for %(period)s (1 is best).")
            % rank
        )
    if latest.get("denominator") is not None:
        base = derive.small_base(Decimal(repr(latest["denominator"])), info["unit"])
        if base is not None:
            sentences.append(
                _(
                    "The figure rests on %(cases)s cases, so one case moves it a long way: "
                    "read it with care."
                )
                % {"cases": f"{base:,.0f}"}
            )
    return " ".join(sentences)
