"""A file past the upload limit is not stored beyond it, and the import page names its size."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import (
    MemoryFileUploadHandler,
    TemporaryFileUploadHandler,
)
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from council_reports.upload_limits import OversizeUpload, UploadLimitHandler

MB = 1024 * 1024


def _parse(size: int, settings):
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("big.csv", b"x" * size)})
    handlers = [UploadLimitHandler(), MemoryFileUploadHandler(), TemporaryFileUploadHandler()]
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    _, files = MultiPartParser(meta, io.BytesIO(body), handlers).parse()
    return files["file"], handlers[2]


def test_past_the_limit_nothing_more_is_stored(settings):
    settings.FILE_UPLOAD_MAX_BYTES = 3 * MB
    upload, temporary = _parse(8 * MB, settings)
    assert isinstance(upload, OversizeUpload)
    assert upload.size == 8 * MB  # what was sent, for the message
    assert upload.read() == b""
    # The temporary file behind it stopped at the limit (give or take one 64 KB chunk).
    assert temporary.file.tell() <= 3 * MB + 64 * 1024


def test_within_the_limit_the_file_is_stored_whole(settings):
    settings.FILE_UPLOAD_MAX_BYTES = 3 * MB
    upload, _ = _parse(2 * MB + 5, settings)
    assert not isinstance(upload, OversizeUpload)
    assert upload.size == 2 * MB + 5
    assert len(upload.read()) == 2 * MB + 5


def test_the_import_page_refuses_an_oversized_file_naming_its_size(client, users):
    client.force_login(users["officer_a"])
    data = b"authority,indicator,period,value\r\n" + b"x" * (25 * MB)
    response = client.post(
        reverse("imports:upload"), {"file": SimpleUploadedFile("figures.csv", data)}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "The file must be smaller than 20.0\xa0MB; this one is 25.0\xa0MB."
    ]
