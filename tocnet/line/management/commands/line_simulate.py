"""Send correctly signed LINE webhook events to a running TOC-Net, as LINE would.

Examples (with ./scripts/run, which starts the fake LINE API):
  tocnet line_simulate join --group-name "สอ.พช.กพ.1" --count 12
  tocnet line_simulate message --group-name "สอ.พช.กพ.1" --user rep --text TOC-ABC234
  tocnet line_simulate follow --user somchai
  tocnet line_simulate say --user somchai --text 100123
  tocnet line_simulate postback --user somchai --data "conv=route&c=...&d=credit"  (a button tap)
  tocnet line_simulate member-joined --group-name "สอ.พช.กพ.1" --user somchai
  tocnet line_simulate rename --group-name "สอ.พช.กพ.1" --new-name "ครอบครัว"   (fake only)
  tocnet line_simulate refresh        (re-read every group now, as the hourly job does)
  tocnet line_simulate leave --group-name "สอ.พช.กพ.1"
  tocnet line_simulate ack --group-name "สอ.พช.กพ.1" --user somchai   (types รับทราบ in the group)
  tocnet line_simulate liff --user somchai --path /r/liff/a/<code>/  (the LIFF page as somchai)
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.core.jsontypes import JSONObject
from tocnet.line import simulate

ACTIONS = (
    "refresh",
    "join",
    "leave",
    "message",
    "member-joined",
    "member-left",
    "follow",
    "unfollow",
    "say",
    "postback",
    "rename",
    "ack",
    "liff",
)


def _http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # see docs/decisions/0005-fast-commands.md
    help = "Send signed LINE webhook events (join, message, follow, ...) to the running app."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("--group-name", default="", help="the LINE group's name")
        parser.add_argument("--new-name", default="", help="rename: the new name (fake LINE only)")
        parser.add_argument(
            "--count", type=int, default=None, help="people in the group (fake LINE)"
        )
        parser.add_argument(
            "--user", default="rep", help="a label for the LINE user (rep, somchai, ...)"
        )
        parser.add_argument("--user-id", default="", help="an exact LINE user id (U...)")
        parser.add_argument("--display-name", default="", help="the LINE display name (fake LINE)")
        parser.add_argument("--text", default="", help="message text")
        parser.add_argument("--data", default="", help="postback: the tapped button's data")
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/line/webhook", help="webhook URL"
        )
        parser.add_argument(
            "--path", default="/r/liff/", help="liff: the page to open inside the fake LINE"
        )
        parser.add_argument(
            "--fake-url", default="", help="fake LINE API (default LINE_API_BASE_URL)"
        )
        parser.add_argument(
            "--secret", default="", help="channel secret (default LINE_CHANNEL_SECRET)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        secret = options["secret"] or settings.LINE_CHANNEL_SECRET
        if not secret:
            raise CommandError("No channel secret: set LINE_CHANNEL_SECRET or pass --secret.")
        fake = (options["fake_url"] or settings.LINE_API_BASE_URL).rstrip("/")
        user_id = options["user_id"] or simulate.user_id_for(options["user"])
        name = options["group_name"]
        group_id = simulate.group_id_for(name) if name else ""
        if (
            action in ("join", "leave", "message", "member-joined", "member-left", "rename", "ack")
            and not name
        ):
            raise CommandError("--group-name is required for this action.")
        if action == "refresh":  # what the hourly job does: re-read names and counts
            from tocnet.line.services.groups import group_refresh, line_groups_to_refresh

            for gid in line_groups_to_refresh():
                group = group_refresh(group_id=gid)
                if group is not None:
                    drift = f" DRIFT: {group.drift}" if group.drift else ""
                    self.stdout.write(
                        f"{group.name or gid}: {group.get_status_display()}, "
                        f"{group.member_count} people{drift}"
                    )
            return
        if action == "liff":  # the fake LIFF SDK answers as this LINE user from now on
            self._profile(fake, user_id, options)
            self._fake(fake, "PUT", "/_fake/liff", {"userId": user_id, "contextType": "group"})
            site = options["url"].split("/line/webhook")[0]
            self.stdout.write(
                f"Fake LIFF: pages now open as {options['user_id'] or options['user']} ({user_id}). "
                f"Open in a browser: {site}{options['path']}"
            )
            return
        if action == "rename":
            self._fake(
                fake,
                "PUT",
                f"/_fake/groups/{group_id}",
                {"groupName": options["new_name"], "count": options["count"]},
            )
            self.stdout.write(
                f"Fake LINE: group {group_id} renamed to {options['new_name']!r} (no event: LINE sends none)"
            )
            return
        if action == "join":
            self._fake(
                fake,
                "PUT",
                f"/_fake/groups/{group_id}",
                {"groupName": name, "count": options["count"]},
            )
            event = simulate.join_event(group_id)
        elif action == "leave":
            self._fake(fake, "DELETE", f"/_fake/groups/{group_id}", None)
            event = simulate.leave_event(group_id)
        elif action in ("message", "ack"):
            self._profile(fake, user_id, options)
            text = options["text"] or ("รับทราบ" if action == "ack" else "")
            event = simulate.group_message_event(group_id, user_id, text)
        elif action == "member-joined":
            self._profile(fake, user_id, options)
            event = simulate.member_joined_event(group_id, [user_id])
        elif action == "member-left":
            event = simulate.member_left_event(group_id, [user_id])
        elif action == "follow":
            self._profile(fake, user_id, options)
            event = simulate.follow_event(user_id)
        elif action == "unfollow":
            event = simulate.unfollow_event(user_id)
        elif action == "postback":
            event = simulate.postback_event(user_id, options["data"])
        else:  # say: a 1:1 message to the official account
            event = simulate.user_message_event(user_id, options["text"])
        seen = len(self._replies(fake))
        if event.get("replyToken"):  # the fake expires it like LINE does (about a minute)
            self._fake(fake, "POST", "/_fake/reply-tokens", {"token": event["replyToken"]})
        body, signature = simulate.signed([event], secret)
        status, answer = _http(
            "POST",
            options["url"],
            body,
            {"Content-Type": "application/json", "X-Line-Signature": signature},
        )
        self.stdout.write(
            f"{action} {event['webhookEventId']} → HTTP {status} {answer.decode(errors='replace')[:80]}"
        )
        if status != 200:
            raise CommandError("The webhook refused the event.")
        if action in ("join", "message", "follow", "say", "postback"):  # the bot may answer
            quiet = action == "postback"
            for text in self._wait_for_replies(fake, seen, quiet=quiet):
                self.stdout.write(f"bot replied: {text}")
        if action in ("say", "postback", "message"):
            for line in simulate.reports_after(event, wait_seconds=3.0):
                self.stdout.write(line)

    def _profile(self, fake: str, user_id: str, options: dict[str, Any]) -> None:
        """Make the LINE user known to the fake (profiles, and its LINE Login page)."""
        name = options["display_name"] or options["user"]
        self._fake(fake, "PUT", f"/_fake/profiles/{user_id}", {"displayName": name})

    def _fake(self, fake: str, method: str, path: str, payload: JSONObject | None) -> None:
        data = json.dumps(payload).encode() if payload is not None else None
        try:
            status, _body = _http(method, fake + path, data, {"Content-Type": "application/json"})
        except OSError as exc:
            raise CommandError(f"Fake LINE API not reachable at {fake}: {exc}") from exc
        if status != 200:
            raise CommandError(f"Fake LINE API at {fake} answered {status}: is it the fake?")

    def _replies(self, fake: str) -> list[str]:
        try:
            status, body = _http("GET", fake + "/_fake/requests")
        except OSError:
            return []
        if status != 200:
            return []
        texts: list[str] = []
        for row in json.loads(body):
            if row["path"] == "/v2/bot/message/reply" and row["status"] == 200:
                for m in json.loads(row["body"])["messages"]:
                    buttons = [
                        f'\n  [{item["action"].get("label", "")}] --data "{item["action"].get("data", "")}"'
                        for item in (m.get("quickReply") or {}).get("items", [])
                    ]
                    texts.append(m.get("text", "") + "".join(buttons))
        return texts

    def _wait_for_replies(
        self, fake: str, seen: int, seconds: float = 3.0, *, quiet: bool = False
    ) -> list[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            texts = self._replies(fake)
            if len(texts) > seen:
                return texts[seen:]
            time.sleep(0.2)
        if quiet:
            return []
        self.stdout.write(
            "(no reply: plain chat gets none; otherwise is `tocnet run_huey` running?)"
        )
        return []
