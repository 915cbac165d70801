"""Members write 1:1; the bot routes; staff answer free while the reply token lives, else push."""

import datetime as dt
from pathlib import Path
from unittest import mock

import time_machine
from django.utils import timezone

from tocnet.conversations import services
from tocnet.conversations.models import Article, Conversation, Message
from tocnet.conversations.tests.base import MEMBER_LINE, ConversationTestCase
from tocnet.line import simulate
from tocnet.line.models import LineFriend, WebhookEvent
from tocnet.privacy.models import Consent


class InboxLineTestCase(ConversationTestCase):
    def test_it_opens_a_conversation_and_offers_the_department_menu(self) -> None:
        self.say("สวัสดีครับ")
        conversation = self.conversation()
        self.assertEqual(
            (conversation.status, conversation.department_id, conversation.message_count),
            (Conversation.Status.OPEN, None, 1),
        )
        labels = [a["label"] for a in self.last_quick_replies()]
        self.assertEqual(labels[:2], ["สินเชื่อ", "เงินฝาก"])
        self.assertEqual(labels[-1], "ไม่แน่ใจ")
        self.assertEqual(conversation.reply_token, "")  # the bot used it for the menu

    def test_it_routes_by_the_members_choice_asks_consent_once_and_keeps_the_token(self) -> None:
        self.say("สวัสดีครับ")
        route = next(a for a in self.last_quick_replies() if a["label"] == "สินเชื่อ")
        self.tap(route["data"])
        conversation = self.conversation()
        self.assertEqual(conversation.department, self.credit)
        self.assertEqual(conversation.routing, Conversation.Routing.MEMBER)
        consent = [a for a in self.last_quick_replies() if a["label"] == "ยินยอม"]
        self.assertEqual(len(consent), 1)
        event = self.tap(consent[0]["data"])
        record = Consent.objects.get(member=self.in_register)
        self.assertEqual(
            (record.purpose, record.method, record.allowed), ("rep_view", "line", True)
        )
        conversation.refresh_from_db()
        self.assertEqual(conversation.reply_token, event["replyToken"])
        replies_before = len(self.fake.replies())
        # asked once: a later conversation routed by keywords does not ask again
        services.conversation_set_status(
            conversation=conversation, status=Conversation.Status.SOLVED, actor="test"
        )
        self.say("อยากกู้เงินฉุกเฉิน")
        self.assertEqual(self.last_quick_replies(), [])
        self.assertEqual(len(self.fake.replies()), replies_before + 1)

    def test_it_routes_by_keywords(self) -> None:
        self.say("อยากกู้เงินฉุกเฉินต้องทำอย่างไร")
        conversation = self.conversation()
        self.assertEqual((conversation.department, conversation.routing), (self.credit, "keywords"))

    def test_it_keeps_continuing_messages_silently_with_their_reply_token(self) -> None:
        self.say("สวัสดีครับ")
        replies = len(self.fake.replies())
        event = self.say("ขอสอบถามเรื่องหุ้นครับ")
        conversation = self.conversation()
        self.assertEqual(conversation.message_count, 2)
        self.assertEqual(len(self.fake.replies()), replies)
        self.assertEqual(conversation.reply_token, event["replyToken"])

    def test_it_answers_free_within_the_token_life_then_by_billed_push(self) -> None:
        self.say("สวัสดีครับ")
        event = self.say("ถามเรื่องเงินกู้ครับ")
        self.fake.issue_reply_token(event["replyToken"])
        conversation = self.conversation()
        with self.captureOnCommitCallbacks(execute=True):
            services.conversation_answer(conversation=conversation, author=self.staff, text="ได้ครับ")
        first = Message.objects.get(direction="out")
        self.assertEqual((first.send_status, first.via, first.billed), ("sent", "reply", False))
        self.assertEqual(self.fake.replies()[-1]["replyToken"], event["replyToken"])
        with self.captureOnCommitCallbacks(execute=True):
            services.conversation_answer(
                conversation=conversation, author=self.staff, text="เพิ่มเติม"
            )
        second = Message.objects.filter(direction="out").last()
        assert second is not None
        self.assertEqual((second.send_status, second.via, second.billed), ("sent", "push", True))
        push = self.fake.requests_to("/v2/bot/message/push")[-1]
        self.assertEqual(push.header("x-line-retry-key"), str(second.retry_key))
        self.assertEqual(push.json["to"], MEMBER_LINE)
        self.assertEqual(services.pushes_this_month(), 1)
        conversation.refresh_from_db()
        self.assertIsNotNone(conversation.first_reply_at)
        self.assertIsNone(conversation.waiting_since)

    def test_it_pushes_when_the_token_expired_at_line(self) -> None:
        self.say("สวัสดีครับ")
        event = self.say("ถามเรื่องเงินกู้ครับ")
        self.fake.issue_reply_token(event["replyToken"], age=120)  # LINE refuses it
        with self.captureOnCommitCallbacks(execute=True):
            services.conversation_answer(
                conversation=self.conversation(), author=self.staff, text="ได้ครับ"
            )
        answer = Message.objects.get(direction="out")
        self.assertEqual((answer.via, answer.billed), ("push", True))
        self.assertEqual(len(self.fake.pushes()), 1)

    def test_it_sends_two_simultaneous_answers_once_each_in_order(self) -> None:
        self.say("สวัสดีครับ")
        conversation = self.conversation()
        Conversation.objects.filter(pk=conversation.pk).update(reply_token="")
        with mock.patch("tocnet.conversations.services._enqueue_send"):
            services.conversation_answer(conversation=conversation, author=self.staff, text="หนึ่ง")
            services.conversation_answer(
                conversation=conversation, author=self.welfare_staff, text="สอง"
            )
        services.conversation_send_pending(conversation_id=conversation.pk)
        services.conversation_send_pending(conversation_id=conversation.pk)
        pushes = self.fake.pushes()
        self.assertEqual(len(pushes), 1)
        self.assertEqual([m["text"] for m in pushes[0]["messages"]], ["หนึ่ง", "สอง"])
        self.assertEqual(Message.objects.filter(send_status="sent", direction="out").count(), 2)
        # one push request to one member: one message of LINE's quota, both answers billed
        self.assertEqual(Message.objects.filter(billed=True).count(), 2)
        self.assertEqual(services.pushes_this_month(), 1)

    def test_it_marks_answers_to_a_member_who_blocked_the_account_and_does_not_retry(self) -> None:
        self.say("สวัสดีครับ")
        self.post_events([simulate.unfollow_event(MEMBER_LINE)])
        self.assertTrue(LineFriend.objects.get(line_user_id=MEMBER_LINE).blocked)
        with self.captureOnCommitCallbacks(execute=True):
            services.conversation_answer(
                conversation=self.conversation(), author=self.staff, text="ตอบ"
            )
        answer = Message.objects.get(direction="out")
        self.assertEqual(answer.send_status, Message.SendStatus.BLOCKED)
        self.assertTrue(self.conversation().blocked)
        self.assertEqual(self.fake.pushes(), [])
        self.assertEqual(
            services.conversations_with_stale_answers(now=timezone.now() + dt.timedelta(hours=1)),
            [],
        )

    def test_it_stores_a_redelivered_event_once(self) -> None:
        event = simulate.user_message_event(MEMBER_LINE, "สวัสดีครับ")
        self.post_events([event])
        again = {**event, "deliveryContext": {"isRedelivery": True}}
        self.post_events([again])
        self.assertEqual(Message.objects.count(), 1)
        self.assertEqual(WebhookEvent.objects.count(), 1)

    def test_it_answers_a_common_question_with_an_article_and_the_member_can_still_ask(
        self,
    ) -> None:
        article = Article.objects.create(
            department=self.credit,
            title="เงินกู้ฉุกเฉิน ใช้เอกสารอะไรบ้าง",
            keywords="กู้ฉุกเฉิน, เงินกู้ฉุกเฉิน, เอกสาร",
            answer="ใช้สำเนาบัตรประชาชนและสลิปเงินเดือน",
        )
        self.say("เงินกู้ฉุกเฉินใช้เอกสารอะไรบ้างครับ")
        conversation = self.conversation()
        self.assertEqual((conversation.article, conversation.status), (article, "solved"))
        body = self.fake.replies()[-1]["messages"][0]["text"]
        self.assertIn("สลิปเงินเดือน", body)
        person = self.last_quick_replies()[0]
        self.tap(person["data"])
        conversation.refresh_from_db()
        self.assertEqual(conversation.status, Conversation.Status.OPEN)
        self.assertEqual(conversation.department, self.credit)

    def test_it_does_not_offer_an_article_for_an_unrelated_question(self) -> None:
        Article.objects.create(
            department=self.credit, title="เงินกู้ฉุกเฉิน", keywords="กู้ฉุกเฉิน", answer="..."
        )
        self.say("ถอนเงินฝากออมทรัพย์ได้ที่ไหน")
        self.assertIsNone(self.conversation().article)

    def test_it_acknowledges_unsupported_types_without_storing(self) -> None:
        event = simulate.user_event(
            MEMBER_LINE, {"id": "555", "type": "location", "latitude": 1.0, "longitude": 2.0}
        )
        self.post_events([event])
        self.assertEqual(Message.objects.count(), 0)
        self.assertEqual(len(self.fake.replies()), 1)

    def test_it_keeps_images_and_refuses_files_over_the_limit(self) -> None:
        self.fake.add_content("901", b"\xff\xd8jpegbytes")
        self.post_events(
            [
                simulate.user_event(
                    MEMBER_LINE,
                    {
                        "id": "901",
                        "type": "image",
                        "quoteToken": "q1",
                        "contentProvider": {"type": "line"},
                    },
                )
            ]
        )
        image = Message.objects.get()
        self.assertEqual((image.kind, image.file_size), ("image", 11))
        self.assertEqual(image.file.read(), b"\xff\xd8jpegbytes")
        self.addCleanup(image.file.storage.delete, image.file.name)
        with self.settings(CONVERSATIONS_MAX_FILE_BYTES=100):
            self.post_events(
                [
                    simulate.user_event(
                        MEMBER_LINE,
                        {"id": "902", "type": "file", "fileName": "big.pdf", "fileSize": 5000},
                    )
                ]
            )
        self.assertEqual(Message.objects.count(), 1)
        self.assertEqual(self.fake.requests_to("/v2/bot/message/902/content"), [])

    def test_it_keeps_stickers_and_files_within_the_limit_in_var(self) -> None:
        from django.conf import settings

        self.say("สวัสดีครับ")
        self.post_events(
            [
                simulate.user_event(
                    MEMBER_LINE,
                    {
                        "id": "911",
                        "type": "sticker",
                        "packageId": "446",
                        "stickerId": "1988",
                        "stickerResourceType": "STATIC",
                        "quoteToken": "q911",
                    },
                )
            ]
        )
        self.fake.add_content("912", b"%PDF-1.4 slip")
        self.post_events(
            [
                simulate.user_event(
                    MEMBER_LINE,
                    {"id": "912", "type": "file", "fileName": "สลิป.pdf", "fileSize": 13},
                )
            ]
        )
        sticker = Message.objects.get(line_message_id="911")
        self.assertEqual((sticker.kind, sticker.text), ("sticker", "[sticker 446/1988]"))
        kept = Message.objects.get(line_message_id="912")
        self.addCleanup(kept.file.storage.delete, kept.file.name)
        self.assertEqual((kept.kind, kept.file_name, kept.file_size), ("file", "สลิป.pdf", 13))
        path = Path(kept.file.path)
        self.assertTrue(path.is_relative_to(settings.VAR_DIR / "conversations"))
        self.assertEqual(path.read_bytes(), b"%PDF-1.4 slip")
        self.assertEqual(self.conversation().message_count, 3)
        self.login_as(self.staff)
        page = self.client.get(f"/conversations/{self.conversation().code}/")
        self.assertContains(page, 'data-kind="sticker"')
        self.assertContains(page, "สลิป.pdf")

    def test_it_limits_floods_per_user_without_crashing(self) -> None:
        with self.settings(CONVERSATIONS_RATE_LIMIT_PER_MINUTE=3):
            events = [simulate.user_message_event(MEMBER_LINE, f"ข้อความ {i}") for i in range(6)]
            self.post_events(events)
        self.assertEqual(Message.objects.count(), 3)
        self.assertEqual(WebhookEvent.objects.filter(status=WebhookEvent.Status.DONE).count(), 6)

    def test_it_keeps_very_long_texts_cut_at_the_limit(self) -> None:
        self.say("ก" * 7000)
        message = Message.objects.get()
        self.assertEqual(len(message.text), 5000)
        self.assertTrue(message.text.endswith("…"))

    def test_it_keeps_an_unlinked_users_question_and_attaches_it_once_linked(self) -> None:
        stranger = "U" + "7" * 32
        self.say("อยากทราบยอดหุ้นของผม", user_id=stranger)
        pending = Conversation.objects.get(line_user_id=stranger)
        self.assertIsNone(pending.member)
        self.assertEqual(len(self.reply_texts()), 1)  # line asks for the member number
        self.say(self.a_not_in_register.number, user_id=stranger)
        self.say(self.a_not_in_register.phones.get().last4, user_id=stranger)
        pending.refresh_from_db()
        self.assertEqual(pending.member, self.a_not_in_register)
        self.assertEqual(pending.messages.count(), 1)  # the number and digits are not kept
        self.assertEqual(
            len(self.fake.replies()[-1]["messages"]), 4
        )  # linked, notice, attached, choices


class NewQuestionArticleTestCase(ConversationTestCase):
    """The bot offers an article for each new question of a conversation, not each chat line."""

    def setUp(self) -> None:
        super().setUp()
        self.loan_docs = Article.objects.create(
            department=self.credit,
            title="เงินกู้ฉุกเฉิน ใช้เอกสารอะไรบ้าง",
            keywords="กู้ฉุกเฉิน, เงินกู้ฉุกเฉิน, เอกสาร",
            answer="ใช้สำเนาบัตรประชาชนและสลิปเงินเดือน",
        )
        self.dividend = Article.objects.create(
            title="ปันผลจ่ายเมื่อไร",
            keywords="ปันผล, เงินปันผล, เฉลี่ยคืน",
            answer="ปันผลจ่ายหลังประชุมใหญ่สามัญประจำปี",
        )

    def open_with_staff(self) -> Conversation:
        """A conversation routed to the credit team, as after the member picked it."""
        self.say("สวัสดีครับ มีเรื่องสอบถาม")
        route = next(a for a in self.last_quick_replies() if a["label"] == "สินเชื่อ")
        self.tap(route["data"])
        return self.conversation()

    def bot_texts(self) -> list[str]:
        return list(
            Message.objects.filter(direction="bot").order_by("id").values_list("text", flat=True)
        )

    def test_a_chat_line_right_after_gets_no_article_and_keeps_the_token(self) -> None:
        self.open_with_staff()
        replies = len(self.fake.replies())
        event = self.say("เงินปันผลปีนี้ได้เมื่อไรครับ")
        self.assertEqual(len(self.fake.replies()), replies)
        self.assertEqual(self.conversation().reply_token, event["replyToken"])
        self.assertEqual(self.bot_texts(), [])

    def test_after_a_silence_a_new_question_gets_a_matching_article(self) -> None:
        self.open_with_staff()
        with time_machine.travel(timezone.now() + dt.timedelta(hours=3), tick=False):
            self.say("เงินปันผลปีนี้ได้เมื่อไรครับ")
        conversation = self.conversation()
        self.assertIn("ประชุมใหญ่", self.fake.replies()[-1]["messages"][0]["text"])
        self.assertEqual(self.last_quick_replies()[0]["label"], "คุยกับเจ้าหน้าที่")
        # the thread stays with its team, open, and keeps the article offered
        self.assertEqual(
            (conversation.department, conversation.status, conversation.article),
            (self.credit, "open", self.dividend),
        )
        self.assertEqual(len(self.bot_texts()), 1)

    def test_ask_prefix_starts_a_new_question_at_once_and_no_article_twice(self) -> None:
        self.open_with_staff()
        self.say("ถาม เงินปันผลจ่ายเมื่อไร")
        self.assertEqual(self.conversation().article, self.dividend)
        self.say("ถาม แล้วเงินปันผลโอนเข้าบัญชีไหน")  # the same article: not again
        self.assertEqual(len(self.bot_texts()), 1)
        self.say("ถาม กู้ฉุกเฉินใช้เอกสารอะไร")
        self.assertEqual(self.conversation().article, self.loan_docs)
        self.assertEqual(len(self.bot_texts()), 2)

    def test_automatic_articles_are_rate_limited_per_member(self) -> None:
        self.open_with_staff()
        with self.settings(CONVERSATIONS_AUTO_ARTICLES_PER_DAY=1):
            self.say("ถาม เงินปันผลจ่ายเมื่อไร")
            replies = len(self.fake.replies())
            self.say("ถาม กู้ฉุกเฉินใช้เอกสารอะไร")
            self.assertEqual(len(self.fake.replies()), replies)  # nothing: the token stays
            self.assertEqual(len(self.bot_texts()), 1)
            # a new conversation (the old one solved) is routed, not answered by an article
            services.conversation_set_status(
                conversation=self.conversation(), status=Conversation.Status.SOLVED, actor="t"
            )
            self.say("กู้ฉุกเฉินใช้เอกสารอะไร")
            self.assertEqual(len(self.bot_texts()), 1)
            self.assertNotIn("สลิปเงินเดือน", self.fake.replies()[-1]["messages"][0]["text"])
            newest = Conversation.objects.filter(member=self.in_register).latest("id")
            self.assertEqual((newest.routing, newest.article), ("keywords", None))
