"""Creating and updating users for scripts, provisioning and the demo data."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from council_reports.models import Role
from indicators.models import Authority


class ProvisioningError(ValueError):
    pass


def resolve_authorities(names: Sequence[str]) -> list[Authority]:
    found = []
    for name in names:
        authority = Authority.objects.matching(name)
        if authority is None:
            raise ProvisioningError(f"unknown authority: {name!r}")
        found.append(authority)
    return found


@transaction.atomic
def provision_user(
    username: str,
    role: str,
    authorities: Sequence[str] = (),
    password: str | None = None,
    *,
    check_password: bool = True,
):
    """Create or update a user with a role and the councils they act for.

    Officers and approvers must be linked to at least one authority; the link list is
    replaced, not added to, so running the same command twice changes nothing.
    Returns (user, created).
    """
    if role not in Role.values:
        raise ProvisioningError(f"unknown role {role!r}; choose one of {', '.join(Role.values)}")
    councils = resolve_authorities(authorities)
    if role in (Role.OFFICER, Role.APPROVER) and not councils:
        raise ProvisioningError(f"a user with the {role} role needs at least one --authority")
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"role": role})
    user.role = role
    if role != Role.ADMIN:
        user.is_staff = False
        user.is_superuser = False
    if password is not None:
        if check_password:
            validate_password(password, user)
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.save()
    user.authorities.set(councils)
    return user, created
