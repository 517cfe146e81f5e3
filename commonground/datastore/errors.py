"""Errors and limits shared by every step of an ingest."""

from __future__ import annotations

from dataclasses import dataclass

from commonground.geography.errors import DataError


class IngestError(DataError):
    """A file cannot be ingested at all (empty, undecodable, too large, unsafe, ...).

    Like :class:`DataError`, the message names the file and, where known, the row (1-based,
    the header is row 1 as in a spreadsheet) and the column. Problems with single cells
    (a value that does not fit its column's type) are not raised: they go in the
    validation report, so the user can see them all and override a column's type.
    """


@dataclass(frozen=True)
class Limits:
    """Bounds that keep one ingest from exhausting the machine.

    max_bytes:          largest file accepted, compressed size as uploaded (bytes).
    max_unpacked_bytes: largest total size after unzipping an archive (bytes); also bounds
                        what an XLSX (itself a zip) may expand to.
    max_zip_ratio:      largest uncompressed/compressed ratio of any archive member; a
                        higher ratio is treated as a zip bomb.
    max_columns:        widest table accepted.
    max_error_rows:     how many offending rows the report lists per column (all are counted).
    """

    max_bytes: int = 1 << 30  # 1 GiB
    max_unpacked_bytes: int = 4 << 30  # 4 GiB
    max_zip_ratio: float = 200.0
    max_columns: int = 1000
    max_error_rows: int = 20
