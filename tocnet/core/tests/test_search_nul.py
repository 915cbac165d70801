"""#10 item 3: a NUL typed into any search box or filter never reaches the database.

The probe's `/members/?q=%00` answered 500 on PostgreSQL. This walk opens every page each
persona can open (with the personas' records' codes filled in), reads every GET form the page
offers (search boxes, filters) and submits it with a NUL in each visible field. No answer may
be a 500, and no query may carry the NUL: a recorder placed before the database's own last-line
guard sees the parameters as the views passed them, so the test fails on SQLite too when the
request is not cleaned before the views read it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin

from django.db import connection
from django.urls import get_resolver

from tocnet.core.tests.test_access_log import EXEMPT as NOT_PAGES
from tocnet.core.tests.test_url_guard import PUBLIC, _walk
from tocnet.testing import BaseTestCase

NUL_TEXT = "ก\x00ข"


class GetForms(HTMLParser):
    """The GET forms of a page: (action, [(name, value or None for a field to fill)])."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str | None]]]] = []
        self._current: list[tuple[str, str | None]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "get":
                self._current = []
                self.forms.append((a.get("action") or "", self._current))
            else:
                self._current = None
            return
        if self._current is None or not a.get("name"):
            return
        name = str(a["name"])
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind == "hidden":
                self._current.append((name, a.get("value") or ""))
            elif kind in ("checkbox", "radio"):
                self._current.append((name, None))
            else:
                self._current.append((name, None))
        elif tag in ("select", "textarea"):
            self._current.append((name, None))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


class SearchNulWalkTestCase(BaseTestCase):
    def pages(self) -> list[str]:
        codes = [
            str(c)
            for c in (self.rep_member.code, self.unit_a.code, self.register.code, self.unit_b.code)
        ]
        found = []
        for name, route in _walk(get_resolver().url_patterns):
            if name in NOT_PAGES or name in PUBLIC:
                continue
            if "<" not in route:
                found.append("/" + route)
            elif not re.search(r"<(?!uuid:)", route):
                found += ["/" + re.sub(r"<uuid:\w+>", c, route) for c in codes]
        return found

    def test_every_get_form_takes_a_nul_in_every_field(self) -> None:
        raw: list[tuple[str, str]] = []

        def recorder(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            rows = params if many else [params]
            for row in rows or []:
                values = row.values() if isinstance(row, dict) else row or []
                if any(isinstance(v, str) and "\x00" in v for v in values):
                    raw.append((self.current, sql[:80]))
            return execute(sql, params, many, context)

        self.client.raise_request_exception = False
        submitted = set()
        connection.ensure_connection()
        connection.execute_wrappers.insert(0, recorder)  # before the NUL guard: raw params
        try:
            for persona in ("staff", "agent", "board", "rep"):
                self.client.force_login(self.personas()[persona])
                for url in self.pages():
                    page = self.client.get(url)
                    if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
                        continue
                    parser = GetForms()
                    parser.feed(page.content.decode(errors="replace"))
                    for action, fields in parser.forms:
                        if not any(value is None for _name, value in fields):
                            continue
                        target = urljoin(url, action).split("?")[0]
                        query = urlencode([(n, NUL_TEXT if v is None else v) for n, v in fields])
                        self.current = f"{persona} {target}?{query}"
                        with self.subTest(persona=persona, page=url, form=target):
                            response = self.client.get(f"{target}?{query}")
                            self.assertLess(response.status_code, 500, self.current)
                        submitted.add(target)
        finally:
            connection.execute_wrappers.remove(recorder)
        self.assertEqual(raw, [])
        # The search boxes of the member list, the inbox, the knowledge base, the forms page
        # and the staff list at least (more as pages gain filters).
        for search in (
            "/members/",
            "/conversations/",
            "/conversations/kb/",
            "/reports/forms/",
            "/accounts/2fa/users/",
        ):
            self.assertIn(search, submitted)
