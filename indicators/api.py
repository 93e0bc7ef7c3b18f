"""Read API: /api/v1/observations/?authority=&indicator=&period= (CONTRACT.md)."""

from __future__ import annotations

from rest_framework import generics

from indicators.models import Observation


class ObservationList(generics.ListAPIView):
    queryset = Observation.objects.none()
