"""Errors and limits shared by every step of an ingest, and plain messages for engine errors."""

from __future__ import annotations

import re
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


# --- messages for users, from errors raised by the engine or the operating system ----------

#: DuckDB's error kinds open its messages ("Binder Error: ", "Out of Range Error: ").
_ENGINE_KIND = re.compile(r"^(?:[A-Za-z]+ ){1,3}Error: ")
#: An absolute file path (POSIX or Windows) outside a URL: two or more folders deep.
_PATH = re.compile(r"""(?<![\w.:/\\])(?:[A-Za-z]:\\|/)(?:[^\s'"/\\]+[/\\])+[^\s'",;)]*""")
#: An object-store address (``s3://bucket/prefix/...``): where the datastore lives is the
#: operator's business, not a reader's.
_OBJECT_URL = re.compile(r"""\b(?:s3|s3a|gs|gcs|az|abfss?)://[^\s'",;)]+""")
#: DuckDB type names, as our type names.
_TYPE_NAMES = {"INT8": "integer", "INT16": "integer", "INT32": "integer", "INT64": "integer",
               "INT128": "integer", "BIGINT": "integer", "INTEGER": "integer",
               "DOUBLE": "number", "FLOAT": "number", "DECIMAL": "number", "BOOL": "boolean",
               "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "datetime"}
#: The engine's most common messages as plain sentences (the first match is used).
_PLAIN = (
    (re.compile(r'Referenced column "(.+?)" not found'), r'there is no column "\1"'),
    (re.compile(r"Table with name (\S+?) does not exist"), r'there is no table "\1"'),
    (re.compile(r"(?:\w+ )?Function with name (\S+?) does not exist"),
     r"there is no function \1()"),
    (re.compile(r'syntax error at or near "(.*)"'), r'syntax error near "\1"'),
    (re.compile(r"syntax error at end of input"), "the statement ends unexpectedly"),
    (re.compile(r"unterminated (?:quoted )?string"), "a quoted text is not closed"),
    (re.compile(r"not recognized as being in a supported file format"),
     "its content is not of a format that can be read"),
)


def without_paths(text: str, file: str | None = None) -> str:
    """``text`` with every server file path replaced by ``file`` (the name the user knows the
    file by), or by "(a file on the server)"."""
    text = _OBJECT_URL.sub(lambda _: file or "(a file on the server)", text)
    return _PATH.sub(lambda _: file or "(a file on the server)", text)


def public_message(error: BaseException | str, *, file: str | None = None) -> str:
    """A DuckDB, GDAL or operating-system error as one plain sentence a user may read.

    No engine internals (the error kind such as "Binder Error", the echoed "LINE 1:" with
    its caret, "Did you mean" hints) and no file paths on the server: the common engine
    messages become plain sentences ('there is no column "x"'), others keep their first
    line with any path replaced (by ``file``, when the error is about the user's file). The
    caller logs the original for the server's operators.
    """
    text = str(error).strip()
    first = text.splitlines()[0].strip() if text else ""
    first = _ENGINE_KIND.sub("", first).rstrip("!").strip()
    if not first:
        return "the data could not be read"
    for pattern, plain in _PLAIN:
        match = pattern.search(first)
        if match:
            return match.expand(plain)
    match = re.search(r"Could not convert string '(.*?)' to (\w+)", first)
    if match:
        kind = _TYPE_NAMES.get(match.group(2).upper(), match.group(2).lower())
        return f"{match.group(1)!r} is not a valid {kind}"
    return without_paths(first, file)
