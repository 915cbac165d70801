from django import template

from tocnet.line import client
from tocnet.line.selectors import (
    RegisterLineStatus,
    register_awaits_new_representative,
    register_line_status,
)
from tocnet.line.services.groups import register_code_ensure
from tocnet.registers.models import Register

register = template.Library()


def _leads(user: object, register_obj: Register) -> bool:
    representative = register_obj.representative
    return bool(
        representative is not None
        and representative.is_current
        and getattr(user, "is_authenticated", False)
        and representative.member.user_id == getattr(user, "pk", None)
    )


@register.simple_tag(takes_context=True)
def register_line_status_for(
    context: template.Context, register_obj: Register | None
) -> RegisterLineStatus | None:
    """The register's LINE status for its page. The one-time code is made on the
    representative's first view (idempotent) and shown to them only: whoever posts it links
    their LINE account to the representative, so staff and agents never see it."""
    if register_obj is None:
        return None
    request = context.get("request")
    user = getattr(request, "user", None)
    code = None
    if _leads(user, register_obj) and (
        not register_obj.line_group_id or register_awaits_new_representative(register_obj)
    ):
        code = register_code_ensure(register=register_obj)
    return register_line_status(register=register_obj, code=code)


@register.simple_tag
def line_configured() -> bool:
    return client.is_configured()


@register.simple_tag
def line_login_configured() -> bool:
    return client.is_login_configured()


@register.simple_tag
def line_official_account() -> dict[str, str] | None:
    """The official account's basic ID and add-friend link, or None when not configured."""
    basic_id = client.official_account_id()
    if not basic_id:
        return None
    return {"basic_id": basic_id, "add_friend_url": client.official_account_add_url()}
