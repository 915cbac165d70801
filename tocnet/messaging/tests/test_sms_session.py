"""The SMS channel's shared session: the environment (proxies, CA bundle) read once per host."""

from __future__ import annotations

import os
from unittest import mock

import requests.sessions
from django.test import SimpleTestCase, override_settings

from tocnet.messaging.channels import sms
from tocnet.testing.fakes.sms_server import FakeSmsGateway


class SmsSessionTestCase(SimpleTestCase):
    def test_it_still_honours_the_proxy_settings_of_the_environment(self) -> None:
        proxy = "http://proxy.example:3128"
        with (
            mock.patch.dict(os.environ, {"HTTPS_PROXY": proxy, "NO_PROXY": "127.0.0.1"}),
            sms._Session() as session,
        ):
            outside = session.environment("https://api-v2.thaibulksms.com/sms")
            local = session.environment("http://127.0.0.1:9/sms")
        self.assertEqual(outside["proxies"].get("https"), proxy)
        self.assertNotIn("http", local["proxies"])  # NO_PROXY: straight to the host
        self.assertNotIn("https", local["proxies"])

    def test_it_reads_the_environment_once_per_host_not_per_message(self) -> None:
        with (
            FakeSmsGateway(api_key="key") as gateway,
            override_settings(
                SMS_PROVIDER="thaibulksms",
                SMS_API_KEY="key",
                SMS_API_SECRET="secret",
                SMS_API_BASE_URL=gateway.url,
            ),
            mock.patch.object(
                requests.sessions,
                "get_environ_proxies",
                wraps=requests.sessions.get_environ_proxies,
            ) as read,
            sms.reused_session(),
        ):
            for number in ("+66810000001", "+66810000002", "+66810000003"):
                sms.send_sms(to=number, text="สหกรณ์ฯ: ทดสอบ", reference=number)
        self.assertEqual(gateway.by_number(), {"0810000001": 1, "0810000002": 1, "0810000003": 1})
        self.assertEqual(read.call_count, 1)
