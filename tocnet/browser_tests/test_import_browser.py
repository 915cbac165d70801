"""In a real browser: staff upload the shared sample, map its unknown units, confirm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tocnet.accounts.models import User
from tocnet.members.models import ImportJob, Member, Unit
from tocnet.members.provinces import office_provinces, province_office_name
from tocnet.testing import SAMPLES
from tocnet.testing.two_factor import browser_sign_in, totp_device_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-import-password-2564"  # noqa: S105
SAMPLE = SAMPLES / "members.xlsx"


def _upload_sample_as_staff(chromium: Any, base: str, username: str) -> tuple[Any, Any]:
    """Sign a new staff member in at desktop size and upload the sample member list. Another
    live-server test may have flushed the tables (the offices seeded by a migration included)."""
    for province in office_provinces():
        Unit.objects.get_or_create(
            name=province_office_name(province.name_th),
            defaults={
                "kind": Unit.Kind.PROVINCE,
                "province": province.name_th,
                "abbreviation": province.abbr_th,
            },
        )
    staff = User.objects.create_user(
        username=username, password=PASSWORD, role=User.Role.STAFF, is_staff=True
    )
    totp_device_for(staff)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="th-TH")
    page = context.new_page()
    browser_sign_in(page, base, username, PASSWORD)
    page.click("nav a[data-nav=import]")
    page.set_input_files("input[type=file]", str(SAMPLE))
    page.click("button[data-upload]")
    return context, page


def test_staff_preview_map_units_and_confirm(
    live_server: Any,
    chromium: Any,
    screenshots: Path,
) -> None:
    context, page = _upload_sample_as_staff(chromium, live_server.url, "staff-import")
    page.wait_for_selector("[data-count=rows_read]")
    assert page.inner_text("[data-count=rows_read] .num") == "1,213"
    assert Member.objects.count() == 0  # a preview changes nothing
    rows = page.locator("tr[data-unknown-unit]")
    assert rows.count() == 3  # pensioners, other agencies, the Lampang study centre
    for index in range(rows.count()):
        rows.nth(index).locator("select").select_option("create")
    page.screenshot(path=str(screenshots / "import-preview.png"), full_page=False)
    page.click("button[data-confirm]")
    page.wait_for_selector("[data-status=committed]")
    page.screenshot(path=str(screenshots / "import-committed.png"), full_page=False)

    assert page.inner_text("[data-count=created] .num") == "1,204"
    assert Member.objects.count() == 1204
    assert ImportJob.objects.get().status == ImportJob.Status.COMMITTED
    assert Unit.objects.get(name="ศูนย์ศึกษาและพัฒนาชุมชนลำปาง").abbreviation == "ศพช.ลป"
    context.close()


def test_a_large_list_is_written_in_the_background_with_a_row_count(
    live_server: Any, chromium: Any, screenshots: Path, settings: Any
) -> None:
    """#16.3 (d, e): confirmed, a large list is written by the slow queue; the page shows
    the rows counted so far, updates itself (htmx), then opens the result by itself."""
    from unittest import mock

    from tocnet.core.progress import CHECKING, progress_write
    from tocnet.members.importing.services import import_job_commit, progress_key

    settings.IMPORT_INLINE_MAX_BYTES = 50_000  # the 105 KB sample counts as large
    context, page = _upload_sample_as_staff(chromium, live_server.url, "staff-import-bg")
    page.wait_for_selector("[data-count=rows_read]")  # read (by the worker), previewed
    job = ImportJob.objects.get()
    rows = page.locator("tr[data-unknown-unit]")
    for index in range(rows.count()):
        rows.nth(index).locator("select").select_option("create")
    # The worker is busy elsewhere: the confirmed job waits, and its page says so.
    with mock.patch("tocnet.members.tasks.import_job_commit_task"):
        page.click("button[data-confirm]")
        page.wait_for_selector('[data-import-status="applying"]')
    assert "กำลังบันทึกลงทะเบียน" in page.inner_text("main")
    progress_write(progress_key(job), stage=CHECKING, done=256, total=1213)
    page.wait_for_selector('[data-progress="256/1213"]', timeout=10_000)  # htmx polled
    assert "ตรวจกับทะเบียนแล้วแถวที่ 256 จาก 1,213" in page.inner_text("main")
    page.screenshot(path=str(screenshots / "import-writing.png"), full_page=False)
    assert Member.objects.count() == 0
    import_job_commit(job_id=job.pk)  # the slow queue's worker
    page.wait_for_selector("[data-status=committed]", timeout=10_000)  # opened by itself
    assert Member.objects.count() == 1204
    assert page.inner_text("[data-count=created] .num") == "1,204"
    context.close()
