"""Refuse oversized uploads while they stream in, before they fill the disk.

Django writes an upload to a temporary file before any view runs (the CSRF check reads
the form), so a 2 GB file would be stored whole just to be rejected. This handler, first in
``FILE_UPLOAD_HANDLERS``, stops reading as soon as the request declares, or sends, more
than ``COMMONGROUND_MAX_UPLOAD_BYTES``; the view then finds ``request.upload_refused`` and
says why. Nothing of the file is kept.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from commonground.datastore.fetch import format_size

#: Room for the form's other fields and multipart headers, bytes.
FORM_OVERHEAD = 1 << 20


class LimitedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        limit = settings.COMMONGROUND_MAX_UPLOAD_BYTES
        self.declared_too_large = None
        if content_length and content_length > limit + FORM_OVERHEAD:
            # Refused at the file's first chunk: the form fields before it (the CSRF token)
            # are still read, so the page can answer with a message rather than an error.
            self.declared_too_large = (f"the file is {format_size(content_length)}; the "
                                       f"largest accepted is {format_size(limit)}")
        self.received = 0
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        if self.declared_too_large:
            self._refuse(self.declared_too_large)
        self.received += len(raw_data)
        limit = settings.COMMONGROUND_MAX_UPLOAD_BYTES
        if self.received > limit:
            self._refuse(f"the file is larger than the limit of {format_size(limit)}")
        return raw_data

    def file_complete(self, file_size):
        return None

    def _refuse(self, reason: str):
        name = getattr(self, "file_name", None)
        self.request.upload_refused = f"{name}: {reason}" if name else \
            f"The upload was refused: {reason}"
        raise StopUpload(connection_reset=True)
