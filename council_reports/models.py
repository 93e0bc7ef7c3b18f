"""Users and their roles. The report builder's models will join them here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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
