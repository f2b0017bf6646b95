"""Read an uploaded image from a request: a raw body or a multipart form, bounded in size and time.

``curl --data-binary @q.jpg`` sends the file as the body; ``curl -F file=@q.jpg`` and
HTML forms send ``multipart/form-data``. Both are accepted. The size is checked from
``Content-Length`` before any byte is read and again while reading (a chunked body has
no length), and a client that stalls gets 408 after ``read_timeout_s``.
"""

from __future__ import annotations

import logging

import anyio
from starlette.datastructures import UploadFile
from starlette.requests import Request

from unreid.serving.search_service import BadRequest, ServiceLimits

logger = logging.getLogger(__name__)

FORM_OVERHEAD = 64 * 1024
"""Bytes a multipart form may add around the file (boundaries, part headers, small fields)."""


def _declared_length(request: Request) -> int | None:
    text = request.headers.get("content-length")
    if text is None:
        if "chunked" in request.headers.get("transfer-encoding", "").lower():
            return None
        raise BadRequest("send the image with a Content-Length header", status=411)
    if not text.isdigit():
        raise BadRequest(f"Content-Length {text!r} is not a number", status=400)
    return int(text)


async def _raw_body(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(f"upload exceeds the limit of {limit} bytes; send a smaller crop", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


async def _form_file(request: Request, limit: int) -> bytes:
    try:
        form = await request.form(max_files=1, max_fields=16, max_part_size=limit)
    except Exception as error:
        status = getattr(error, "status_code", 400)
        raise BadRequest(f"malformed multipart form ({getattr(error, 'detail', error)}); send the image as the "
                         "'file' field (curl -F file=@crop.jpg)", status=413 if status == 413 else 400) from None
    try:
        files = [value for value in form.values() if isinstance(value, UploadFile)]
        if not files:
            raise BadRequest("the multipart form holds no file; send the image as the 'file' field "
                             "(curl -F file=@crop.jpg)")
        upload = form.get("file") if isinstance(form.get("file"), UploadFile) else files[0]
        assert isinstance(upload, UploadFile)
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise BadRequest(f"upload exceeds the limit of {limit} bytes; send a smaller crop", status=413)
        return data
    finally:
        await form.close()


async def read_upload(request: Request, limits: ServiceLimits) -> bytes:
    """The image bytes of a ``POST``: the body, or the ``file`` field of a multipart form.

    Any other content type (``curl --data-binary`` says ``application/x-www-form-urlencoded``)
    is taken as the image file itself; decoding decides whether it is one.

    Raises:
        BadRequest: 411 without a length, 413 above ``max_upload_bytes``, 408 when the
            body does not arrive within ``read_timeout_s``, 400 for a malformed form.
    """
    limit = limits.max_upload_bytes
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_form = kind == "multipart/form-data"
    length = _declared_length(request)
    allowed = limit + FORM_OVERHEAD if is_form else limit
    if length is not None and length > allowed:
        raise BadRequest(f"upload of {length} bytes exceeds the limit of {limit} bytes; send a smaller crop",
                         status=413)
    try:
        with anyio.fail_after(limits.read_timeout_s):
            return await (_form_file(request, limit) if is_form else _raw_body(request, allowed))
    except TimeoutError:
        logger.info("a client sent its upload too slowly (over %.0f s); answered 408", limits.read_timeout_s)
        raise BadRequest(f"the upload did not arrive within {limits.read_timeout_s:g} s", status=408) from None
