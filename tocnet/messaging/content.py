"""What an announcement looks like on each channel: safe HTML, plain text, the LINE card, URLs.

Bodies are Markdown rendered to HTML and sanitised with nh3 (no scripts, no event attributes,
links only http/https/mailto/tel); LINE and SMS get plain text.
"""

from __future__ import annotations

import re

import markdown
import nh3
from django.conf import settings
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

from tocnet.core.jsontypes import JSONObject
from tocnet.messaging.models import Announcement

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote"}
FLEX_BODY_MAX = 1000  # characters of text in the card; the rest is on the page


def body_html(text: str) -> SafeString:
    """Markdown → sanitised HTML (safe to mark safe: nh3 keeps only the tags above)."""
    rendered = markdown.markdown(text or "", extensions=["nl2br", "sane_lists"])
    cleaned = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(str(cleaned))  # noqa: S308 - sanitised by nh3 just above


def body_text(text: str) -> str:
    """Plain text for LINE and e-mail: the Markdown without its marks."""
    html = str(body_html(text))
    html = re.sub(r"</(p|li|h3|h4|blockquote)>", "\n", html)
    html = re.sub(r"<br\s*/?>", "\n", html)
    html = re.sub(r"<li>", "• ", html)
    text_only = strip_tags(html)
    text_only = (
        text_only.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
    )
    return re.sub(r"\n{3,}", "\n\n", text_only).strip()


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def public_url(announcement: Announcement) -> str:
    return absolute(reverse("messaging:public_detail", args=[announcement.code]))


def image_url(announcement: Announcement) -> str:
    return absolute(announcement.image.url) if announcement.image else ""


def read_more_url(announcement: Announcement) -> str:
    """Where "read more" goes: the public page, else the author's link, else nowhere."""
    if announcement.is_public:
        return public_url(announcement)
    return announcement.link or ""


def liff_url(path: str) -> str:
    """A page below the LIFF endpoint (``/r/``) opened inside LINE: see responses.liff."""
    from tocnet.messaging.responses.liff import liff_url as _liff_url

    return _liff_url(path)


def _button(label: str, uri: str, *, style: str = "link") -> JSONObject:
    return {
        "type": "button",
        "style": style,
        "height": "sm",
        "action": {"type": "uri", "label": label[:40], "uri": uri[:1000]},
    }


def announcement_card(
    announcement: Announcement,
    *,
    relay_url: str = "",
    extra_buttons: list[JSONObject] | None = None,
) -> JSONObject:
    """The LINE Flex message (as JSON) members see; ``relay_url`` adds the representative's
    "forward into the group" button. Nothing personal goes into it."""
    text = body_text(announcement.body)
    if len(text) > FLEX_BODY_MAX:
        text = text[: FLEX_BODY_MAX - 1] + "…"
    body: list[JSONObject] = [
        {
            "type": "text",
            "text": str(announcement.get_category_display()),
            "size": "xs",
            "color": "#1b6b3a",
            "weight": "bold",
        },
        {"type": "text", "text": announcement.title, "weight": "bold", "size": "lg", "wrap": True},
    ]
    if text:
        body.append({"type": "text", "text": text, "size": "sm", "wrap": True, "maxLines": 12})
    buttons: list[JSONObject] = []
    if relay_url:
        buttons.append(_button("ส่งต่อในกลุ่ม", relay_url, style="primary"))
    more = read_more_url(announcement)
    if more:
        buttons.append(_button("อ่านรายละเอียด", more))
    buttons.extend(extra_buttons or [])
    bubble: JSONObject = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": body},
    }
    if announcement.image:
        bubble["hero"] = {
            "type": "image",
            "url": image_url(announcement),
            "size": "full",
            "aspectRatio": "20:13",
            "aspectMode": "cover",
        }
    if buttons:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": buttons,
        }
    alt = f"ประกาศสหกรณ์: {announcement.title}"
    return {"type": "flex", "altText": alt[:400], "contents": bubble}
