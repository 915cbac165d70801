"""The privacy notice's current version, for the link every page (and every LIFF page) shows."""

from django import template

from tocnet.privacy.notice import current_notice

register = template.Library()


@register.simple_tag
def current_notice_version() -> str:
    return current_notice().version
