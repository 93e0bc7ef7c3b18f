"""Users and their roles. The report builder's models will join them here."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    APPROVER = "approver", _("Approver")
    MEMBER = "member", _("Member")
    AUTHOR = "author", _("Author")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    """A member of staff or a councillor. What each role may do is enforced by the views;
    officers and approvers act only for the authorities they are linked to, and authors read
    only those authorities' case audit findings."""

    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    authorities = models.ManyToManyField(
        "indicators.Authority", verbose_name=_("authorities"), blank=True, related_name="users"
    )
    # The comparators last chosen on a dashboard (slugs such as "wales-average", "sn-median"),
    # so that the next page, and the next visit, shows the same view. None: never chosen.
    comparators = models.JSONField(
        _("comparators chosen on the dashboards"), null=True, blank=True, default=None
    )

    class Meta:
        verbose_name = _("user")

    def save(self, *args, **kwargs):
        # The admin role is the Django administrator: keep the flags in step with it.
        if self.role == Role.ADMIN:
            self.is_staff = True
            self.is_superuser = True
        super().save(*args, **kwargs)

    def acts_for(self, authority) -> bool:
        if self.role == Role.ADMIN or self.is_superuser:
            return True
        return self.authorities.filter(pk=authority.pk).exists()


class ApiToken(AbstractAuthToken):
    """A key a script sends to the API (`Authorization: Token ...`), django-rest-knox's token
    with what its owner needs to manage it: stored only as a SHA-512 digest (the key is shown
    once, when made), always with an expiry, optionally limited to reading, and when it was
    last used. Made, listed and revoked by its owner at /account/tokens/ (council_reports.tokens)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    read_only = models.BooleanField(
        _("read only"), default=False, help_text=_("May only read (GET, HEAD, OPTIONS).")
    )
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def has_expired(self) -> bool:
        """As knox judges it when the token is used (it is then refused and deleted)."""
        return self.expiry is not None and self.expiry < timezone.now()
