"""Uploads stop being written to disk once they pass IMPORT_MAX_BYTES."""

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class SizeCappedUploadHandler(TemporaryFileUploadHandler):
    """A temporary-file handler that keeps counting but stops storing past the limit.

    The view then receives an empty file whose `size` is the real size, so its own size check
    answers with a clear message, and a multi-gigabyte post never fills the disk.
    """

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.too_large:
            return None
        if self.received > settings.IMPORT_MAX_BYTES:
            self.too_large = True
            self.file.close()  # the temporary file is deleted on close
            return None
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.too_large:
            placeholder = SimpleUploadedFile(
                self.file_name or "upload", b"", self.content_type or "application/octet-stream"
            )
            placeholder.size = self.received
            return placeholder
        return super().file_complete(file_size)
