"""The LINE client against the fake LINE server (real HTTP on 127.0.0.1)."""

from unittest import mock

from django.test import SimpleTestCase, override_settings

from tocnet.line import client
from tocnet.testing.fakes.line_server import FakeLineServer


class LineClientFakeServerTestCase(SimpleTestCase):
    fake: FakeLineServer

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.fake = FakeLineServer(access_token="token-1").start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.fake.stop()
        super().tearDownClass()

    def setUp(self) -> None:
        self.fake.reset()
        self.fake.access_token = "token-1"
        overrides = override_settings(
            LINE_API_BASE_URL=self.fake.url,
            LINE_CHANNEL_SECRET="secret",
            LINE_CHANNEL_ACCESS_TOKEN="token-1",
        )
        overrides.enable()
        self.addCleanup(overrides.disable)

    def test_it_reads_group_summary_count_and_profiles(self) -> None:
        self.fake.add_group("Cg1", "สอ.พช.กพ.1", count=12, members={"Ua": "สมชาย"})
        self.fake.add_profile("Ub", "สมหญิง")
        self.assertEqual(client.get_group_summary("Cg1").name, "สอ.พช.กพ.1")
        self.assertEqual(client.get_group_member_count("Cg1"), 12)
        self.assertEqual(client.get_group_member_profile("Cg1", "Ua").display_name, "สมชาย")
        self.assertEqual(client.get_profile("Ub").display_name, "สมหญิง")
        request = self.fake.requests_to("/v2/bot/group/Cg1/summary")[0]
        self.assertEqual(request.header("Authorization"), "Bearer token-1")

    def test_it_maps_404_to_a_permanent_error(self) -> None:
        with self.assertRaises(client.ChannelError) as ctx:
            client.get_group_summary("Cmissing")
        self.assertEqual((ctx.exception.status, ctx.exception.permanent), (404, True))
        self.assertEqual(ctx.exception.message, "Not found")

    def test_it_maps_5xx_and_rate_limit_to_retryable_then_succeeds(self) -> None:
        self.fake.add_group("Cg1", "x", count=1)
        self.fake.fail_next(1, status=500)
        self.fake.fail_next(1, status=429)
        for status in (500, 429):
            with self.assertRaises(client.ChannelError) as ctx:
                client.push_text(to="Cg1", texts=["hi"], retry_key="key-1")
            self.assertEqual((ctx.exception.status, ctx.exception.permanent), (status, False))
        result = client.push_text(to="Cg1", texts=["hi"], retry_key="key-1")
        self.assertFalse(result.already_sent)
        self.assertEqual(len(self.fake.pushes()), 1)
        keys = [r.header("X-Line-Retry-Key") for r in self.fake.requests_to("/v2/bot/message/push")]
        self.assertEqual(keys, ["key-1"] * 3)

    def test_it_treats_409_for_a_known_retry_key_as_already_sent(self) -> None:
        self.fake.add_group("Cg1", "x", count=1)
        first = client.push_text(to="Cg1", texts=["hi"], retry_key="key-2")
        again = client.push_text(to="Cg1", texts=["hi"], retry_key="key-2")
        self.assertEqual((first.already_sent, again.already_sent), (False, True))
        self.assertEqual(again.request_id, self.fake.retry_keys["key-2"][0])
        self.assertEqual(len(self.fake.pushes()), 1)

    def test_it_marks_monthly_quota_429_permanent(self) -> None:
        self.fake.fail_next(1, status=429, message=client.MONTHLY_LIMIT_MESSAGE)
        with self.assertRaises(client.ChannelError) as ctx:
            client.push_text(to="Uabc", texts=["hi"], retry_key="key-3")
        self.assertTrue(ctx.exception.permanent)
        self.assertTrue(ctx.exception.quota_exhausted)

    def test_it_reports_validation_details_as_permanent(self) -> None:
        with self.assertRaises(client.ChannelError) as ctx:
            client.reply_text(reply_token="r1", texts=["x" * 5001])
        self.assertTrue(ctx.exception.permanent)
        self.assertEqual(ctx.exception.details[0]["property"], "messages[0].text")

    def test_it_replies_once_per_token(self) -> None:
        client.reply_text(reply_token="r2", texts=["สวัสดี"])
        with self.assertRaises(client.ChannelError) as ctx:
            client.reply_text(reply_token="r2", texts=["again"])
        self.assertEqual(ctx.exception.message, "Invalid reply token")
        self.assertEqual(self.fake.replies()[0]["messages"][0]["text"], "สวัสดี")
        request = self.fake.requests_to("/v2/bot/message/reply")[0]
        self.assertIsNone(request.header("X-Line-Retry-Key"))

    def test_it_times_out_as_retryable(self) -> None:
        self.fake.add_group("Cg1", "x", count=1)
        self.fake.delay_seconds = 0.5
        with (
            mock.patch.object(client, "TIMEOUT", (1, 0.1)),
            self.assertRaises(client.ChannelError) as ctx,
        ):
            client.get_group_member_count("Cg1")
        self.assertFalse(ctx.exception.permanent)
        self.assertIsNone(ctx.exception.status)

    def test_it_maps_a_bad_token_to_permanent_401(self) -> None:
        self.fake.access_token = "another"
        with self.assertRaises(client.ChannelError) as ctx:
            client.get_group_member_count("Cg1")
        self.assertEqual((ctx.exception.status, ctx.exception.permanent), (401, True))

    def test_it_refuses_when_not_configured_without_any_request(self) -> None:
        with self.settings(LINE_CHANNEL_ACCESS_TOKEN=""):
            self.assertFalse(client.is_configured())
            with self.assertRaises(client.NotConfiguredError):
                client.get_group_summary("Cg1")
        self.assertEqual(self.fake.requests, [])

    def test_it_leaves_a_group(self) -> None:
        self.fake.add_group("Cg1", "x", count=1)
        client.leave_group("Cg1")
        self.assertNotIn("Cg1", self.fake.groups)

    def test_it_sets_the_webhook_endpoint(self) -> None:
        client.set_webhook_endpoint("https://tocnet.example/line/webhook")
        self.assertEqual(client.get_webhook_endpoint(), "https://tocnet.example/line/webhook")
        with self.assertRaises(client.ChannelError) as ctx:
            client.set_webhook_endpoint("http://insecure.example/")
        self.assertEqual(ctx.exception.status, 400)
