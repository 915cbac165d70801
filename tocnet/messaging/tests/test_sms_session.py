"""The SMS channel's connections: urllib3 pools that read the environment (proxy, NO_PROXY,
CA bundle) once per host, and the gateway's answers mapped to retry / unknown / failed."""

from __future__ import annotations

import os
from unittest import mock

import requests.utils
import urllib3
from django.test import SimpleTestCase, override_settings

from tocnet.line.client import ChannelError
from tocnet.messaging.channels import sms
from tocnet.testing.fakes.sms_server import FakeSmsGateway


def thaibulksms_at(gateway: FakeSmsGateway) -> override_settings:
    """ThaiBulkSMS settings pointing at the fake gateway, with the credentials it expects."""
    return override_settings(
        SMS_PROVIDER="thaibulksms",
        SMS_API_KEY="key",
        SMS_API_SECRET="secret",
        SMS_API_BASE_URL=gateway.url,
    )


class SmsConnectionsTestCase(SimpleTestCase):
    def test_it_honours_the_proxy_settings_of_the_environment(self) -> None:
        proxy = "http://proxy.example:3128"
        with mock.patch.dict(os.environ, {"HTTPS_PROXY": proxy, "NO_PROXY": "127.0.0.1"}):
            connections = sms._Connections()
            outside = connections.pool("https://api-v2.thaibulksms.com/sms")
            local = connections.pool("http://127.0.0.1:9/sms")
        self.assertIsInstance(outside, urllib3.ProxyManager)
        self.assertEqual(outside.proxy.url, proxy)  # type: ignore[attr-defined]
        self.assertNotIsInstance(local, urllib3.ProxyManager)  # NO_PROXY: straight there

    def test_it_reads_the_environment_once_per_host_not_per_message(self) -> None:
        with (
            FakeSmsGateway(api_key="key") as gateway,
            thaibulksms_at(gateway),
            mock.patch.object(
                requests.utils, "get_environ_proxies", wraps=requests.utils.get_environ_proxies
            ) as read,
            sms.reused_session(),
        ):
            results = [
                sms.send_sms(to=number, text="สหกรณ์ฯ: ทดสอบ", reference=number)
                for number in ("+66810000001", "+66810000002", "+66810000003")
            ]
        self.assertEqual(gateway.by_number(), {"0810000001": 1, "0810000002": 1, "0810000003": 1})
        self.assertEqual([r.request_id for r in results], [m.message_id for m in gateway.messages])
        self.assertEqual(read.call_count, 1)

    def test_it_maps_the_gateways_answers(self) -> None:
        with (
            FakeSmsGateway(api_key="key") as gateway,
            thaibulksms_at(gateway),
            mock.patch.object(sms, "TIMEOUT", (1, 0.3)),
        ):
            gateway.hang_seconds = 0.6
            gateway.fail_next(1, status=500, path_prefix="/sms")
            with self.assertRaises(ChannelError) as server_error:
                sms.send_sms(to="+66810000001", text="ทดสอบ", reference="a")
            gateway.fail_next(1, status=0, path_prefix="/sms", after=True)
            with self.assertRaises(sms.AmbiguousSendError):
                sms.send_sms(to="+66810000002", text="ทดสอบ", reference="b")
            with (
                override_settings(SMS_API_KEY="wrong"),
                self.assertRaises(ChannelError) as refused,
            ):
                sms.send_sms(to="+66810000003", text="ทดสอบ", reference="c")
        self.assertFalse(server_error.exception.permanent)  # 500: retried later
        self.assertEqual(server_error.exception.status, 500)
        self.assertTrue(refused.exception.permanent)  # bad credentials: not retried
        self.assertEqual(gateway.by_number(), {"0810000002": 1})  # accepted, answer lost
        # A gateway that is not there: nothing was sent, so the send is retried.
        gateway_url = gateway.url
        with (
            override_settings(
                SMS_PROVIDER="thaibulksms",
                SMS_API_KEY="key",
                SMS_API_SECRET="secret",
                SMS_API_BASE_URL=gateway_url,
            ),
            self.assertRaises(ChannelError) as not_there,
        ):
            sms.send_sms(to="+66810000004", text="ทดสอบ", reference="d")
        self.assertFalse(not_there.exception.permanent)
        self.assertNotIsInstance(not_there.exception, sms.AmbiguousSendError)
