"""Commit phase and the command line: truth.json through the real command, idempotence,
never deleting, unknown units, representatives, and bad files changing nothing."""

import datetime as dt
import io
import json
import tempfile
from pathlib import Path
from unittest import mock

from django.core.management import CommandError, call_command
from django.test import TestCase

from tocnet.core.models import AuditEvent
from tocnet.members.importing.services import (
    ImportStateError,
    default_term,
    import_job_validate,
    member_import_commit,
    representative_import_commit,
)
from tocnet.members.models import ImportJob, Member, Phone, Representative, Unit
from tocnet.testing import SAMPLES

from .import_builders import MEMBER_HEADER, compound_file, member_row, xlsx_bytes


class CommandMixin:
    def run_json(self, command: str, data: bytes, name: str, *args: str) -> dict:  # type: ignore[type-arg]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            out = io.StringIO()
            call_command(command, str(path), "--json", *args, stdout=out)
        return json.loads(out.getvalue())

    def assert_invariant(self, summary: dict) -> None:  # type: ignore[type-arg]
        self.assertEqual(  # type: ignore[attr-defined]
            summary["rows_read"],
            summary["created"]
            + summary["updated"]
            + summary["unchanged"]
            + len(summary["duplicates"])
            + len(summary["rejected"]),
        )


class SampleTruthTestCase(CommandMixin, TestCase):
    """The shared sample through `tocnet import_members` / `import_representatives`."""

    def test_it_matches_truth_through_the_real_commands(self) -> None:
        truth = json.loads((SAMPLES / "truth.json").read_text())
        data = (SAMPLES / "members.xlsx").read_bytes()
        summary = self.run_json("import_members", data, "members.xlsx", "--create-units")
        self.assertEqual(
            set(summary),
            {
                "rows_read",
                "created",
                "updated",
                "unchanged",
                "duplicates",
                "rejected",
                "warnings",
                "not_in_file",
                "unknown_units",
            },
        )
        self.assert_invariant(summary)
        self.assertEqual(summary["rows_read"], truth["data_rows"])
        self.assertEqual(summary["created"], truth["members_valid"])
        self.assertEqual(len(summary["duplicates"]), truth["duplicate_rows"])
        self.assertEqual(
            [(r["sheet"], r["row"], r["reason"]) for r in summary["rejected"]],
            [(r["sheet"], r["row"], r["why"]) for r in truth["rejected"]],
        )
        self.assertEqual(
            [(w["sheet"], w["row"], w["reason"]) for w in summary["warnings"]],
            [(w["sheet"], w["row"], w["why"]) for w in truth["warned"]],
        )
        members = dict(Member.objects.values_list("number", "unit__name"))
        self.assertEqual(members, truth["member_unit"])
        for unit in truth["units"]:
            saved = Unit.objects.get(name=unit["name"])
            self.assertEqual((saved.abbreviation, saved.kind), (unit["abbr"], unit["kind"]))
        phones: dict[str, list[str]] = {}
        for number, e164 in Phone.objects.filter(valid=True).values_list("member__number", "e164"):
            phones.setdefault(number, []).append("0" + e164.removeprefix("+66"))
        for number, phone in truth["final_phone"].items():
            self.assertEqual(phones.get(number, []), [phone] if phone else [], number)
        # Broken values are kept raw and flagged.
        self.assertEqual(Phone.objects.get(member__number="502416").raw, "08-12")
        self.assertFalse(Phone.objects.get(member__number="502416").valid)
        self.assertFalse(Member.objects.get(number="502430").email_valid)

        # Importing the same file again changes nothing.
        events = AuditEvent.objects.filter(target_type="members.member").count()
        again = self.run_json("import_members", data, "members.xlsx", "--create-units")
        self.assertEqual(
            (again["created"], again["updated"], again["unchanged"]),
            (0, 0, truth["members_valid"]),
        )
        self.assertEqual(AuditEvent.objects.filter(target_type="members.member").count(), events)

        reps = self.run_json(
            "import_representatives",
            (SAMPLES / "representatives.xlsx").read_bytes(),
            "representatives.xlsx",
        )
        self.assert_invariant(reps)
        self.assertEqual((reps["created"], reps["rejected"]), (len(truth["representatives"]), []))
        self.assertEqual(
            sorted(Representative.objects.values_list("member__number", flat=True)),
            sorted(truth["representatives"]),
        )
        for unit in truth["units"]:
            self.assertEqual(
                Representative.objects.filter(unit__name=unit["name"]).count(),
                unit["representatives"],
            )
        self.assertEqual(ImportJob.objects.filter(status="committed").count(), 3)


class MemberImportTestCase(CommandMixin, TestCase):
    def setUp(self) -> None:
        self.tak = Unit.objects.get(abbreviation="ตก")

    def xlsx(self, *rows: list[object]) -> bytes:
        return xlsx_bytes({"สมาชิก": [MEMBER_HEADER, *rows]})

    def test_it_updates_members_and_reports_changes(self) -> None:
        self.run_json("import_members", self.xlsx(member_row("1"), member_row("2")), "a.xlsx")
        first = Member.objects.get(number="1")
        created = AuditEvent.objects.get(action="member.import_create", target_id=str(first.code))
        self.assertEqual(created.changes["unit"], self.tak.name)
        self.assertEqual(created.target_repr, str(first))
        self.assertIsNotNone(created.created_at)
        self.assertEqual(first.phones.get().e164, "+66812345678")
        summary = self.run_json(
            "import_members",
            self.xlsx(member_row("1", phone="0899999999"), member_row("2")),
            "a.xlsx",
        )
        self.assertEqual((summary["updated"], summary["unchanged"]), (1, 1))
        self.assertEqual(
            list(Phone.objects.filter(member__number="1").values_list("e164", flat=True)),
            ["+66899999999"],
        )
        event = AuditEvent.objects.get(action="member.import_update")
        self.assertEqual(event.changes["phones"]["after"], ["+66899999999"])

    def test_members_missing_from_the_file_are_reported_never_deleted(self) -> None:
        self.run_json("import_members", self.xlsx(member_row("1"), member_row("2")), "a.xlsx")
        summary = self.run_json("import_members", self.xlsx(member_row("1")), "b.xlsx")
        self.assertEqual(summary["not_in_file"], 1)
        self.assertEqual(Member.objects.get(number="2").status, Member.Status.ACTIVE)
        self.assertEqual(Member.objects.count(), 2)

    def test_a_blank_cell_does_not_erase_what_the_register_holds(self) -> None:
        self.run_json("import_members", self.xlsx(member_row("1", email="a@b.co")), "a.xlsx")
        summary = self.run_json(
            "import_members", self.xlsx(member_row("1", email=None, phone=None)), "a.xlsx"
        )
        self.assertEqual(summary["unchanged"], 1)
        member = Member.objects.get(number="1")
        self.assertEqual(member.email, "a@b.co")
        self.assertEqual(member.phones.count(), 1)

    def test_unknown_units_are_rejected_on_the_command_line_unless_created(self) -> None:
        rows = [
            member_row("1", unit="ศูนย์ศึกษาและพัฒนาชุมชนตาก"),
            member_row("2", unit="สำนักงานพัฒนาชุมชนจังหวัดตากก"),
            member_row("3", unit="สนง.พช.จ.ตาก"),
        ]
        summary = self.run_json("import_members", self.xlsx(*rows), "a.xlsx")
        self.assert_invariant(summary)
        self.assertEqual(
            [(r["row"], r["reason"]) for r in summary["rejected"]],
            [(2, "unknown_unit"), (3, "unknown_unit")],
        )
        self.assertEqual(
            [(u["name"], u["suggestion"]) for u in summary["unknown_units"]],
            [
                ("ศูนย์ศึกษาและพัฒนาชุมชนตาก", "สำนักงานพัฒนาชุมชนจังหวัดตาก"),
                ("สำนักงานพัฒนาชุมชนจังหวัดตากก", "สำนักงานพัฒนาชุมชนจังหวัดตาก"),
            ],
        )
        self.assertEqual(list(Member.objects.values_list("number", "unit")), [("3", self.tak.pk)])

        summary = self.run_json("import_members", self.xlsx(*rows[:1]), "a.xlsx", "--create-units")
        centre = Unit.objects.get(name="ศูนย์ศึกษาและพัฒนาชุมชนตาก")
        self.assertEqual(
            (centre.kind, centre.abbreviation, centre.province), ("centre", "ศพช.ตก", "ตาก")
        )
        self.assertEqual(Member.objects.get(number="1").unit, centre)
        self.assertEqual(summary["unknown_units"][0]["action"], "created")
        self.assertTrue(
            AuditEvent.objects.filter(action="unit.create", target_id=str(centre.code)).exists()
        )

    def test_buddhist_era_dates_are_stored_gregorian(self) -> None:
        header = ["เลขทะเบียน", "ชื่อ-สกุล", "สังกัด", "วันที่เป็นสมาชิก"]
        rows = [
            header,
            ["1", "นายสมชาย ใจดี", "ตาก", "15/06/2564"],
            ["2", "นางมาลี ใจดี", "ตาก", "๑ มิ.ย. ๒๕๖๔"],
            ["3", "นางสมศรี ใจดี", "ตาก", "31/02/2564"],
        ]
        data = xlsx_bytes({"สมาชิก": rows})
        summary = self.run_json("import_members", data, "a.xlsx")
        self.assertEqual(
            [(w["row"], w["field"], w["reason"]) for w in summary["warnings"]],
            [(4, "joined_on", "bad_date")],
        )
        self.assertEqual(
            dict(Member.objects.values_list("number", "joined_on")),
            {"1": dt.date(2021, 6, 15), "2": dt.date(2021, 6, 1), "3": None},
        )
        again = self.run_json("import_members", data, "a.xlsx")
        self.assertEqual(again["unchanged"], 3)

    def test_a_row_without_a_name_can_update_but_not_create(self) -> None:
        self.run_json("import_members", self.xlsx(member_row("1")), "a.xlsx")
        summary = self.run_json(
            "import_members",
            self.xlsx(
                member_row("1", first="", last="", title="", phone="0899999999"),
                member_row("2", first="", last="", title=""),
            ),
            "b.xlsx",
        )
        self.assert_invariant(summary)
        self.assertEqual(
            [(r["row"], r["reason"]) for r in summary["rejected"]], [(3, "missing_name")]
        )
        self.assertEqual(summary["updated"], 1)
        self.assertEqual(Member.objects.get(number="1").first_name, "สมชาย")
        self.assertFalse(Member.objects.filter(number="2").exists())

    def test_two_spellings_of_a_new_centre_create_one_unit(self) -> None:
        rows = [
            member_row("1", unit="ศพช.ตาก"),
            member_row("2", unit="ศูนย์ศึกษาและพัฒนาชุมชนตาก"),
            member_row("3", unit="ศพช. ตก"),
        ]
        summary = self.run_json("import_members", self.xlsx(*rows), "a.xlsx", "--create-units")
        self.assertEqual(summary["created"], 3)
        centre = Unit.objects.get(abbreviation="ศพช.ตก")
        self.assertEqual(set(centre.members.values_list("number", flat=True)), {"1", "2", "3"})

    def test_dry_run_changes_nothing(self) -> None:
        summary = self.run_json("import_members", self.xlsx(member_row("1")), "a.xlsx", "--dry-run")
        self.assertEqual(summary["created"], 1)
        self.assertFalse(Member.objects.exists())
        self.assertFalse(ImportJob.objects.exists())

    def test_bad_files_exit_non_zero_and_change_nothing(self) -> None:
        cases = {
            "members.xls": compound_file(["Workbook"]),
            "members.xlsx": self.xlsx(member_row("1"))[:300],
            "members.csv": "เลขทะเบียน,ชื่อ\n1,ก\n".encode("utf-16"),
            "photo.xlsx": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        }
        for name, data in cases.items():
            with self.subTest(name=name), self.assertRaises(CommandError) as caught:
                self.run_json("import_members", data, name)
            self.assertIn(name, str(caught.exception))
            self.assertIn(" / ", str(caught.exception))  # Thai / English
        with self.settings(IMPORT_MAX_BYTES=100), self.assertRaises(CommandError) as caught:
            self.run_json("import_members", self.xlsx(member_row("1")), "big.xlsx")
        self.assertIn("MB", str(caught.exception))
        self.assertFalse(Member.objects.exists())
        self.assertFalse(ImportJob.objects.exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_job_commits_once(self) -> None:
        job = import_job_validate(
            kind="members", data=self.xlsx(member_row("1")), file_name="a.xlsx", actor="test"
        )
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)
        self.assertFalse(Member.objects.exists())
        member_import_commit(job=job, actor="test")
        with self.assertRaises(ImportStateError):
            member_import_commit(job=job, actor="test")
        self.assertEqual(Member.objects.count(), 1)

    def test_a_value_too_long_for_the_register_rejects_only_its_row(self) -> None:
        summary = self.run_json(
            "import_members",
            self.xlsx(member_row("1", first="ก" * 150), member_row("2")),
            "a.xlsx",
        )
        self.assert_invariant(summary)
        self.assertEqual(
            [(r["row"], r["reason"]) for r in summary["rejected"]], [(2, "invalid_value")]
        )
        self.assertEqual(list(Member.objects.values_list("number", flat=True)), ["2"])


class RepresentativeImportTestCase(CommandMixin, TestCase):
    def setUp(self) -> None:
        self.tak = Unit.objects.get(abbreviation="ตก")
        self.nan = Unit.objects.get(abbreviation="นน")
        for number, first, unit in [
            ("1", "สมชาย", self.tak),
            ("2", "สมศรี", self.tak),
            ("3", "มาลี", self.nan),
        ]:
            Member.objects.create(
                number=number, first_name=first, last_name="ใจดี", title="นาย", unit=unit
            )

    def reps(self, *rows: list[object]) -> bytes:
        return xlsx_bytes({"ผู้แทน": [["ลำดับ", "เลขทะเบียนสมาชิก", "ชื่อ-สกุล", "หน่วยงาน"], *rows]})

    def test_mismatches_are_rejected_not_guessed(self) -> None:
        summary = self.run_json(
            "import_representatives",
            self.reps(
                [1, "1", "นายสมชาย ใจดี", "ตาก"],
                [2, "3", "นายมาลี ใจดี", "ตาก"],  # member of น่าน
                [3, "2", "นายสมหมาย ใจดี", "ตาก"],  # another name
                [4, "9", "นายใคร ไม่รู้", "ตาก"],  # no such member
            ),
            "reps.xlsx",
        )
        self.assert_invariant(summary)
        self.assertEqual(
            [(r["row"], r["reason"]) for r in summary["rejected"]],
            [(3, "wrong_unit"), (4, "name_mismatch"), (5, "not_a_member")],
        )
        self.assertEqual(
            list(Representative.objects.values_list("member__number", flat=True)), ["1"]
        )

    def test_an_unknown_unit_in_a_representatives_list_is_never_created(self) -> None:
        job = import_job_validate(
            kind="representatives",
            data=self.reps([1, "1", "สมชาย ใจดี", "ศพช.ตาก"]),
            file_name="r.xlsx",
            actor="test",
        )
        summary = representative_import_commit(
            job=job, actor="test", unit_mapping={"ศพช.ตาก": "create"}
        )
        self.assertEqual([r["reason"] for r in summary["rejected"]], ["unknown_unit"])
        self.assertFalse(Unit.objects.filter(abbreviation="ศพช.ตก").exists())
        self.assertFalse(Representative.objects.exists())

    def test_a_unit_whose_rows_are_all_wrong_keeps_its_representatives(self) -> None:
        self.run_json("import_representatives", self.reps([1, "1", "สมชาย ใจดี", "ตาก"]), "r1.xlsx")
        summary = self.run_json(
            "import_representatives", self.reps([1, "2", "สมหมาย ใจดี", "ตาก"]), "r2.xlsx"
        )
        self.assertEqual([r["reason"] for r in summary["rejected"]], ["name_mismatch"])
        self.assertEqual(summary["not_in_file"], 0)
        self.assertIsNone(Representative.objects.get(member__number="1").ended_on)

    def test_a_new_list_ends_representatives_missing_from_it_keeping_history(self) -> None:
        self.run_json("import_representatives", self.reps([1, "1", "สมชาย ใจดี", "ตาก"]), "r1.xlsx")
        summary = self.run_json(
            "import_representatives", self.reps([1, "2", "สมศรี ใจดี", "จ.ตาก"]), "r2.xlsx"
        )
        self.assertEqual((summary["created"], summary["not_in_file"]), (1, 1))
        old = Representative.objects.get(member__number="1")
        self.assertIsNotNone(old.ended_on)
        self.assertIsNone(Representative.objects.get(member__number="2").ended_on)
        again = self.run_json(
            "import_representatives", self.reps([1, "2", "สมศรี ใจดี", "ตาก"]), "r2.xlsx"
        )
        self.assertEqual((again["created"], again["unchanged"], again["not_in_file"]), (0, 1, 0))
        self.assertEqual(Representative.objects.count(), 2)


def test_default_term_is_four_years_to_the_day_before() -> None:
    assert default_term(dt.date(2026, 11, 26)) == (dt.date(2026, 11, 26), dt.date(2030, 11, 25))
    assert default_term(dt.date(2028, 2, 29)) == (dt.date(2028, 2, 29), dt.date(2032, 2, 28))
    assert default_term(dt.date(2027, 1, 1)) == (dt.date(2027, 1, 1), dt.date(2030, 12, 31))


class ValidateLockTestCase(TestCase):
    def test_reading_a_file_for_a_preview_holds_no_transaction(self) -> None:
        """On SQLite a transaction holds the write lock from BEGIN: reading a 10,000-row
        workbook inside one would stall every other writer for seconds."""
        from django.db import connection

        from tocnet.members.importing import services

        outside = len(connection.atomic_blocks)  # the test case's own blocks
        depths = []
        real_parse = services.parse_list

        def parse_list(*args, **kwargs):  # type: ignore[no-untyped-def]
            depths.append(len(connection.atomic_blocks))
            return real_parse(*args, **kwargs)

        with mock.patch.object(services, "parse_list", parse_list):
            job = import_job_validate(
                kind="members",
                data=xlsx_bytes({"สมาชิก": [MEMBER_HEADER, member_row("1")]}),
                file_name="m.xlsx",
                actor="test",
            )
        self.assertEqual(depths, [outside])
        self.assertEqual(job.summary["created"], 1)
        self.assertTrue(AuditEvent.objects.filter(action="import.validate").exists())
