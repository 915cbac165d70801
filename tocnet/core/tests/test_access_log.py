"""Issue #10 item 5: every page that shows member data leaves an access event.

Walks every URL of the product (as staff, agent, board and representative) and every admin
list and change page (as staff), with the codes of the personas' records, an announcement and
a conversation filled in. A page whose answer
shows a member's name must have written an AuditEvent of kind ACCESS during the request,
unless it is listed in EXEMPT with the reason.
"""

import re

from django.contrib import admin
from django.urls import get_resolver, reverse

from tocnet.core.models import AuditEvent
from tocnet.core.tests.test_url_guard import PUBLIC, _walk
from tocnet.members.models import Member
from tocnet.testing import BaseTestCase

# url name → why showing member names there needs no access event of its own
EXEMPT: dict[str, str] = {
    "accounts:logout": "signs out (not a page)",
    "reports:forms_zip": "a download of every unit's forms; logged by its own job",
}


class AccessLogWalkTestCase(BaseTestCase):
    def setUp(self) -> None:
        # Records of the newer pages: an announcement (report, deliveries, feedback, ask) and
        # a conversation (inbox, detail), so their pages show names in the walk too.
        from django.utils import timezone

        from tocnet.conversations.models import Conversation
        from tocnet.messaging.responses.models import Ask
        from tocnet.messaging.tests.response_builders import sent_announcement

        self.announcement = sent_announcement(
            [self.rep_member, self.in_register, self.a_not_in_register], kind=Ask.Kind.FEEDBACK
        )
        now = timezone.now()
        self.conversation = Conversation.objects.create(
            member=self.in_register,
            line_user_id=self.in_register.line_user_id,
            opened_at=now,
            last_message_at=now,
            rep_may_answer=True,
        )

    def names(self) -> list[str]:
        return [f"{m.first_name} {m.last_name}" for m in Member.objects.all()] + [
            m.last_name for m in Member.objects.all()
        ]

    def codes(self) -> list[str]:
        return [
            str(c)
            for c in (
                self.rep_member.code,
                self.in_register.code,
                self.unit_a.code,
                self.register.code,
                self.representative.code,
                self.announcement.code,
                self.conversation.code,
            )
        ]

    def concrete(self, route: str) -> list[str]:
        if "<" not in route:
            return ["/" + route]
        if re.search(r"<(?!uuid:)", route):
            return []  # no sensible value to fill in
        return ["/" + re.sub(r"<uuid:\w+>", code, route) for code in self.codes()]

    def admin_urls(self) -> list[tuple[str, str]]:
        urls = []
        for model in admin.site._registry:
            meta = model._meta
            urls.append(
                (
                    f"admin:{meta.app_label}_{meta.model_name}_changelist",
                    reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
                )
            )
            first = model._default_manager.order_by("pk").first()
            if first is not None:
                urls.append(
                    (
                        f"admin:{meta.app_label}_{meta.model_name}_change",
                        reverse(
                            f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]
                        ),
                    )
                )
        return urls

    def test_every_page_showing_member_data_writes_an_access_event(self) -> None:
        names = self.names()
        routes = [
            (name, url)
            for name, route in _walk(get_resolver().url_patterns)
            if name not in PUBLIC and name not in EXEMPT
            for url in self.concrete(route)
        ]
        self.client.raise_request_exception = False
        showing = 0
        for persona in ("staff", "agent", "board", "rep"):
            self.client.force_login(self.personas()[persona])
            pages = routes + (self.admin_urls() if persona == "staff" else [])
            for name, url in pages:
                before = AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS).count()
                response = self.client.get(url)
                if response.status_code != 200:
                    continue
                if not response.get("Content-Type", "").startswith("text/html"):
                    continue
                text = response.content.decode(errors="replace")
                shown = [n for n in names if n in text]
                if not shown:
                    continue
                showing += 1
                with self.subTest(persona=persona, page=name, url=url):
                    after = AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS).count()
                    self.assertGreater(after, before, f"{url} shows {shown[:2]} unlogged")
        self.assertGreater(showing, 10)


class AdminBulkDeleteTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.staff.is_superuser = True
        self.staff.save(update_fields=["is_superuser"])

    def test_the_admins_bulk_delete_is_audited(self) -> None:
        self.client.force_login(self.staff)
        url = reverse("admin:members_member_changelist")
        member = self.a_not_in_register
        response = self.client.post(
            url,
            {"action": "delete_selected", "_selected_action": [member.pk], "post": "yes"},
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Member.objects.filter(pk=member.pk).exists())
        event = AuditEvent.objects.get(action="member.admin_deleted")
        self.assertEqual(event.target_id, str(member.code))
        self.assertEqual(event.actor, self.staff)

    def test_every_admins_bulk_delete_is_audited(self) -> None:
        # Site-wide: an admin without AuditedAdminMixin (LINE friends) is covered too.
        from tocnet.line.models import LineFriend

        friend = LineFriend.objects.create(line_user_id="U" + "9" * 32)
        self.client.force_login(self.staff)
        response = self.client.post(
            reverse("admin:line_linefriend_changelist"),
            {"action": "delete_selected", "_selected_action": [friend.pk], "post": "yes"},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(AuditEvent.objects.filter(action="linefriend.admin_deleted").count(), 1)
