import json
from typing import TypedDict

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.messaging.models import Announcement
from tocnet.messaging.planning import Audience, PlanSummary, announcement_plan, sms_body
from tocnet.messaging.services import (
    AnnouncementError,
    announcement_create_approved,
    announcement_send,
    audience_from_cli,
)


class AnnounceJSON(TypedDict):
    """What ``--json`` prints."""

    announcement: int | None  # None for a dry run
    mode: str
    purpose: str  # news | offers | coaching
    recipients: int
    channels: dict[str, int]
    line_messages: int
    sms_segments: int
    cost_baht: float
    unreachable_reasons: dict[str, int]


class Command(BaseCommand):
    help = (
        "Create an approved announcement as the cooperative (audited as the command line) and "
        "send it; with --dry-run only plan it (nothing is saved)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--title", required=True)
        parser.add_argument("--body", required=True)
        parser.add_argument("--sms-text", default="")
        parser.add_argument(
            "--audience", default="all", help="all | unit:ABBR,... | register:NAME,..."
        )
        parser.add_argument("--mode", choices=["relay", "direct"], default="relay")
        parser.add_argument("--category", choices=Announcement.Category.values, default="other")
        parser.add_argument(
            "--purpose",
            choices=[*Announcement.Purpose.values, "offer"],
            default=Announcement.Purpose.NEWS.value,
            help="news (everyone who has not objected) | offers, coaching (only members who "
            "consented on the channel, 1:1, never into a LINE group); 'offer' = offers",
        )
        parser.add_argument("--public", action="store_true")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        try:
            audience = audience_from_cli(str(options["audience"]))
        except AnnouncementError as exc:
            raise CommandError(str(exc)) from exc
        fields = {
            "title": str(options["title"]).strip(),
            "body": str(options["body"]),
            "sms_text": str(options["sms_text"]),
            "audience": audience,
            "mode": str(options["mode"]),
            "category": str(options["category"]),
            "purpose": "offers" if options["purpose"] == "offer" else str(options["purpose"]),
            "is_public": bool(options["public"]),
        }
        if not fields["title"]:
            raise CommandError("The title is empty. / ไม่มีหัวข้อ")
        announcement_id: int | None = None
        plan: PlanSummary
        if options["dry_run"]:
            draft = Announcement(**fields)
            plan = announcement_plan(
                audience=Audience.from_json(audience),
                mode=draft.mode,
                sms_text=sms_body(draft),
                purpose=draft.purpose,
            ).summary()
        else:
            try:
                announcement = announcement_create_approved(actor="cli", **fields)
                announcement = announcement_send(announcement=announcement, actor="cli")
            except (AnnouncementError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            announcement_id = announcement.pk
            plan = announcement.plan
        out: AnnounceJSON = {
            "announcement": announcement_id,
            "mode": plan["mode"],
            "purpose": plan.get("purpose", Announcement.Purpose.NEWS.value),
            "recipients": plan["recipients"],
            "channels": plan["channels"],
            "line_messages": plan["line_messages"],
            "sms_segments": plan["sms_segments"],
            "cost_baht": plan["cost_baht"],
            "unreachable_reasons": plan["unreachable_reasons"],
        }
        if options["json"]:
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            return
        channels = ", ".join(f"{k} {v}" for k, v in out["channels"].items())
        what = (
            "Planned (dry run)" if options["dry_run"] else f"Announcement {announcement_id} sending"
        )
        self.stdout.write(
            f"{what}, purpose {out['purpose']}: {out['recipients']} recipients ({channels}); "
            f"{out['line_messages']} LINE messages, {out['sms_segments']} SMS credits, "
            f"{out['cost_baht']:.2f} baht."
        )
