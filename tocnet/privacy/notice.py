"""Versions of the privacy notice. Texts are templates: privacy/notice/<version>.<lang>.html."""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class NoticeVersion:
    version: str
    published_on: dt.date

    def template_name(self, language: str) -> str:
        lang = "en" if language.startswith("en") else "th"
        return f"privacy/notice/{self.version}.{lang}.html"


# Oldest first; a new version is a new pair of templates and one line here (old ones stay, so a
# consent can always be read against the text the member saw).
NOTICE_VERSIONS: tuple[NoticeVersion, ...] = (NoticeVersion("1", dt.date(2026, 12, 1)),)


def current_notice() -> NoticeVersion:
    return NOTICE_VERSIONS[-1]


def notice_by_version(version: str) -> NoticeVersion | None:
    return next((n for n in NOTICE_VERSIONS if n.version == version), None)
