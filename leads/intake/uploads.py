"""Upload handling that never holds more than RESUME_MAX_BYTES of a file.

Django's own handlers keep an upload in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE and spill
the rest to a temporary file, however large it is. This handler sits first in
FILE_UPLOAD_HANDLERS and passes chunks on only while the request's files together are within
the limit (so a hundred file parts cannot fill the disk either); past it,
the remaining bytes are counted and dropped, and the form receives an `OversizedUpload`
of the counted size, so validation answers "too large" beside the field (a clear 400)
instead of the server resetting the connection. Fields sent after the file still arrive.
"""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizedUpload(UploadedFile):
    """Stands in for a file that was over the limit: its name and size, no content."""

    def __init__(self, name: str, size: int, content_type: str | None = None):
        super().__init__(file=None, name=name, content_type=content_type, size=size)

    def open(self, mode=None):
        raise ValueError("An oversized upload has no content.")

    def read(self, *args, **kwargs) -> bytes:
        return b""

    def seek(self, *args, **kwargs) -> int:
        return 0

    def close(self) -> None:
        pass

    def chunks(self, chunk_size=None):
        return iter(())

    def multiple_chunks(self, chunk_size=None) -> bool:
        return False


class SizeLimitUploadHandler(FileUploadHandler):
    """Keep at most RESUME_MAX_BYTES of file data per request (one file or many); a file
    that does not fit arrives as an OversizedUpload of its full size."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = settings.RESUME_MAX_BYTES
        self.kept = 0  # bytes passed on for every file of this request so far

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.oversized = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if not self.oversized and self.kept + len(raw_data) <= self.limit:
            self.kept += len(raw_data)
            return raw_data
        # None keeps the chunk from the handlers after this one (memory or temporary file).
        self.oversized = True
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.oversized:
            return None  # within the limit: the next handler hands over the real file
        return OversizedUpload(self.file_name, self.received, self.content_type)
