import json
from io import StringIO
from pathlib import Path
from tempfile import TemporaryDirectory

from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tocnet.core.models import AuditEvent
from tocnet.testing import BaseTestCase


class MemberDataExportCommandTestCase(BaseTestCase):
    def test_it_writes_json_and_xlsx_and_logs_the_command_line(self) -> None:
        with TemporaryDirectory() as tmp:
            out = Path(tmp) / "m.json"
            call_command(
                "member_data_export",
                "100002",
                "--out",
                str(out),
                stdout=StringIO(),
            )
            data = json.loads(out.read_text("utf-8"))
            xlsx = Path(tmp) / "m.xlsx"
            call_command(
                "member_data_export",
                "100002",
                "--out",
                str(xlsx),
                stdout=StringIO(),
            )
            wb = load_workbook(xlsx)
        self.assertEqual(data["member_number"], "100002")
        record = next(s for s in data["sections"] if s["name"] == "members.record")
        self.assertEqual(record["rows"][0]["first_name"], "สมศักดิ์")
        self.assertGreaterEqual(len(wb.sheetnames), len(data["sections"]) + 1)
        events = AuditEvent.objects.filter(action="privacy.member_data_exported")
        self.assertEqual(events.count(), 2)
        self.assertEqual({e.actor_repr for e in events}, {"command line: member_data_export"})
        self.assertEqual({e.kind for e in events}, {AuditEvent.Kind.ACCESS})

    def test_it_refuses_an_unknown_number(self) -> None:
        with self.assertRaises(CommandError):
            call_command("member_data_export", "999999", "--out", "/tmp/x.json")
