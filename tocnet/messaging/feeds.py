"""Atom feed of public announcements (Django's syndication framework)."""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed

from tocnet.messaging import content
from tocnet.messaging.models import Announcement
from tocnet.messaging.selectors import public_announcement_list


class PublicAnnouncementsFeed(Feed[Announcement, None]):
    feed_type = Atom1Feed
    title = "ประกาศสหกรณ์ออมทรัพย์กรมการพัฒนาชุมชน จำกัด"
    subtitle = "ข่าวสารผลิตภัณฑ์ บริการ สวัสดิการ และการบริหารจัดการ"

    def link(self) -> str:
        from django.urls import reverse

        return reverse("messaging:public_list")

    def items(self) -> list[Announcement]:
        return list(public_announcement_list()[:30])

    def item_title(self, item: Announcement) -> str:
        return item.title

    def item_description(self, item: Announcement) -> str:
        return str(content.body_html(item.body))

    def item_link(self, item: Announcement) -> str:
        from django.urls import reverse

        return reverse("messaging:public_detail", args=[item.code])

    def item_pubdate(self, item: Announcement) -> dt.datetime | None:
        return item.send_started_at

    def item_updateddate(self, item: Announcement) -> dt.datetime | None:
        return item.send_started_at or item.updated_at

    def item_categories(self, item: Announcement) -> list[str]:
        return [str(item.get_category_display())]
