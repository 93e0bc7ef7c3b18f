"""An uploaded file stops being stored once it passes the largest upload the app accepts.

Django writes an upload to a temporary file as it arrives and only then lets a form look at its
size: a 2 GB file sent to the import page would fill the disk first. This handler, first in
FILE_UPLOAD_HANDLERS, counts a file's bytes and, past settings.FILE_UPLOAD_MAX_BYTES, passes no
more of them on, so nothing beyond the limit is stored; the file then arrives as an empty
OversizeUpload whose size is what was sent, and the form refuses it by that size ("must be
smaller than 20.0 MB; this one is 2.0 GB"). The body is still read to its end: the proxy in
front should refuse such requests first (docs/scaling.md).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizeUpload(UploadedFile):
    """A file refused for its size: its name and the size sent, none of its content."""

    def __init__(self, name: str, content_type: str | None, size: int):
        from io import BytesIO

        super().__init__(BytesIO(), name=name, content_type=content_type, size=size)


class UploadLimitHandler(FileUploadHandler):
    def new_file(self, field_name, file_name, content_type, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.FILE_UPLOAD_MAX_BYTES:
            return None  # the handlers after this one (memory, temporary file) get no more
        return raw_data

    def file_complete(self, file_size):
        if self.received > settings.FILE_UPLOAD_MAX_BYTES:
            return OversizeUpload(self.file_name, self.content_type, self.received)
        return None  # within the limit: the next handler's file
