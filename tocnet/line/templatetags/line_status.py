from django import template

from tocnet.line import client
from tocnet.line.selectors import RegisterLineStatus, register_line_status
from tocnet.line.services.groups import register_code_ensure
from tocnet.registers.models import Register

register = template.Library()


@register.simple_tag
def register_line_status_for(register_obj: Register | None) -> RegisterLineStatus | None:
    """The register's LINE status for its page; makes the one-time code on first view
    (idempotent), since the code exists only to be shown there."""
    if register_obj is None:
        return None
    code = None if register_obj.line_group_id else register_code_ensure(register=register_obj)
    return register_line_status(register=register_obj, code=code)


@register.simple_tag
def line_configured() -> bool:
    return client.is_configured()
