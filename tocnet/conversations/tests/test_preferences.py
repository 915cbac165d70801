"""The member's privacy choices inside LINE (LIFF): per purpose and channel, how=LINE."""

import time

from django.test import override_settings
from django.urls import reverse

from tocnet.conversations.preferences import preferences_url
from tocnet.conversations.tests.base import MEMBER_LINE, ConversationTestCase
from tocnet.line import simulate
from tocnet.messaging.responses import liff
from tocnet.privacy.models import Consent, ConsentChange
from tocnet.privacy.notice import current_notice
from tocnet.privacy.selectors import member_not_messageable_ids

URL = reverse("preferences:edit")


@override_settings(LIFF_ID="1234567890-abcdefgh")
class PreferencesPageTestCase(ConversationTestCase):
    def as_line_user(self, line_user_id: str) -> None:
        session = self.client.session
        session[liff.SESSION_KEY] = {"sub": line_user_id, "at": time.time()}
        session.save()

    def test_it_lives_below_the_liff_endpoint(self) -> None:
        self.assertTrue(URL.startswith(liff.endpoint_path()))
        self.assertEqual(liff.liff_state_target(URL[len(liff.endpoint_path()) - 1 :]), URL)

    def test_without_a_liff_identity_it_opens_line_first_and_unlinked_users_link(self) -> None:
        response = self.client.get(URL)
        self.assertContains(response, 'id="liff-boot"')
        self.as_line_user("U" + "9" * 32)
        response = self.client.get(URL)
        self.assertRedirects(
            response, f"{reverse('responses:liff_link')}?next={URL}", fetch_redirect_response=False
        )

    def test_a_linked_member_sets_choices_per_purpose_and_channel(self) -> None:
        self.as_line_user(MEMBER_LINE)
        page = self.client.get(URL)
        self.assertContains(page, 'data-purpose="rep_view"')
        self.assertContains(page, 'name="news-sms"')
        self.assertContains(page, "ข้อเสนอผลิตภัณฑ์")  # the explanations in Thai
        form = page.context["form"]
        self.assertTrue(form["news-line"].initial)  # news: allowed until the member objects
        self.assertFalse(form["offers-line"].initial)
        # keep news on LINE and e-mail (not SMS: an objection), offers by LINE, the representative
        chosen = {"news-line": "on", "news-email": "on", "offers-line": "on", "rep_view-line": "on"}
        response = self.client.post(URL, chosen)
        self.assertRedirects(response, URL, fetch_redirect_response=False)
        consents = {
            (c.purpose, c.channel): c for c in Consent.objects.filter(member=self.in_register)
        }
        self.assertEqual(
            {k: c.allowed for k, c in consents.items()},
            {("news", "sms"): False, ("offers", "line"): True, ("rep_view", "line"): True},
        )
        for consent in consents.values():
            self.assertEqual(
                (consent.method, consent.notice_version), ("line", current_notice().version)
            )
        self.assertIn(
            self.in_register.pk,
            set(
                member_not_messageable_ids(purpose="news", channel="sms").values_list(
                    "pk", flat=True
                )
            ),
        )
        # the same choices again: no new history
        self.client.post(URL, chosen)
        self.assertEqual(ConsentChange.objects.filter(member=self.in_register).count(), 3)
        # the page shows what holds now
        form = self.client.get(URL).context["form"]
        self.assertFalse(form["news-sms"].initial)
        self.assertTrue(form["rep_view-line"].initial)

    def test_the_bot_sends_the_link_when_a_member_links(self) -> None:
        new = "U" + "8" * 32
        member = self.a_not_in_register
        self.post_events([simulate.user_message_event(new, member.number)])
        self.post_events([simulate.user_message_event(new, member.phones.get().last4)])
        texts = [m["text"] for m in self.fake.replies()[-1]["messages"]]
        self.assertTrue(texts[-1].endswith(preferences_url()), texts)
        self.assertTrue(preferences_url().endswith(URL[len(liff.endpoint_path()) - 1 :]))
