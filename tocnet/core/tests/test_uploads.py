import os
import tempfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from tocnet.members.models import ImportJob
from tocnet.testing import BaseTestCase


@override_settings(IMPORT_MAX_BYTES=50_000, FILE_UPLOAD_MAX_MEMORY_SIZE=10_000)
class UploadCapTestCase(BaseTestCase):
    def temp_files(self) -> set[str]:
        directory = tempfile.gettempdir()
        return {n for n in os.listdir(directory) if n.endswith(".upload")}

    def test_it_refuses_an_oversized_upload_with_its_real_size_and_stores_nothing(self) -> None:
        self.login_as(self.staff)
        before = self.temp_files()
        big = SimpleUploadedFile("big.xlsx", b"PK" + b"x" * 300_000)
        response = self.client.post(
            reverse("members:import_upload"), {"kind": "members", "file": big}
        )
        self.assertContains(response, "0.3 MB", status_code=400)
        self.assertFalse(ImportJob.objects.exists())
        self.assertEqual(self.temp_files(), before)

    def test_it_passes_files_under_the_limit_through(self) -> None:
        from tocnet.core.uploads import SizeCappedUploadHandler

        handler = SizeCappedUploadHandler()
        handler.new_file("file", "small.csv", "text/csv", 30_000)
        handler.receive_data_chunk(b"a" * 30_000, 0)
        stored = handler.file_complete(30_000)
        self.assertEqual(stored.size, 30_000)
        stored.seek(0)
        self.assertEqual(len(stored.read()), 30_000)
