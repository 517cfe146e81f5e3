"""Text uploads as UTF-8: encoding detection, checks and streaming transcoding.

Accepted encodings, detected from the bytes (never guessed from the name): UTF-8, UTF-8 with
a byte-order mark, Windows-1252 and Latin-1 (ISO-8859-1). Every pass reads the file in
chunks of :data:`CHUNK_BYTES`, so memory stays bounded whatever the file's size, and a
valid UTF-8 file is only read (no per-row Python), never copied.

How the encoding is decided:

1. The whole file is checked strictly as UTF-8. If it is: "utf-8" (or "utf-8-sig" when it
   starts with the byte-order mark EF BB BF).
2. Otherwise, if the file also holds valid multi-byte UTF-8 sequences, it is UTF-8 with some
   bytes in another encoding (a broken or concatenated file): an error names the line and
   byte offset of the first bad byte. Windows-1252 text rarely forms such sequences by
   chance (it would take an accented capital followed by a symbol such as "É’").
3. Otherwise it is a single-byte encoding. Bytes 0x80–0x9F are printable characters in
   Windows-1252 (€, curly quotes, dashes) but control codes in Latin-1, so any of them means
   "cp1252" — unless one of the five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F,
   0x90, 0x9D) appears, which only Latin-1 can decode. With no byte in 0x80–0x9F the two
   encodings agree and the file is called "latin-1".

Non-UTF-8 files are transcoded into the scratch directory before DuckDB reads them.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from .errors import IngestError

CHUNK_BYTES = 16 << 20  # 16 MiB per read: large enough for speed, small enough for memory

UTF8_BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with a byte-order mark",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1 (ISO-8859-1)",
}

# A well-formed multi-byte UTF-8 sequence (RFC 3629, section 4: no overlongs, no surrogates).
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)  # bytes Windows-1252 leaves undefined


@dataclass(frozen=True)
class Utf8Text:
    """A text upload ready for DuckDB.

    path:               a UTF-8 file: the upload itself, or its transcoded copy
    encoding:           the upload's encoding: "utf-8", "utf-8-sig", "cp1252" or "latin-1"
    inner_blank_lines:  True if a blank line comes before a line of content (DuckDB skips
                        blank lines, so row numbers then need counting another way)
    """

    path: Path
    encoding: str
    inner_blank_lines: bool


def as_utf8(path: Path, *, filename: str, workdir: Path) -> Utf8Text:
    """Check a text upload and return it as UTF-8, transcoding it into ``workdir`` if needed.

    Raises :class:`IngestError` for UTF-16 files, NUL bytes (a binary file) and files that
    mix UTF-8 with another encoding.
    """
    with path.open("rb") as f:
        start = f.read(4)
    if start.startswith(UTF16_BOMS):
        raise IngestError("the file is UTF-16 encoded (Excel's \"Unicode Text\"); save it as "
                          "\"CSV UTF-8\" and upload again", file=filename)
    scan = _scan_utf8(path)
    if scan.nul_offset is not None:
        _raise_nul(path, scan.nul_offset, filename)
    if scan.bad_offset is None:
        encoding = "utf-8-sig" if start.startswith(UTF8_BOM) else "utf-8"
        return Utf8Text(path, encoding, scan.inner_blank_lines)
    encoding = _single_byte_encoding(path, scan.bad_offset, filename)
    target = Path(workdir) / (path.stem + ".utf-8.txt")
    inner_blank_lines = _transcode(path, encoding, target, filename)
    return Utf8Text(target, encoding, inner_blank_lines)


@dataclass(frozen=True)
class _Scan:
    bad_offset: int | None  # first byte that is not valid UTF-8
    nul_offset: int | None  # first NUL byte
    inner_blank_lines: bool


def _scan_utf8(path: Path) -> _Scan:
    """One pass: validate UTF-8, find NUL bytes and blank lines between lines of content.

    Chunks are read into one reused buffer and validated by Arrow's (SIMD) UTF-8 check; a
    character cut by the chunk's end is carried over to the next chunk. Only a chunk that
    fails is decoded by Python, to find the offset of its first bad byte.
    """
    buffer = bytearray(CHUNK_BYTES + 4)
    view = memoryview(buffer)
    chunk_start = 0  # file offset of buffer[0]
    carried = 0  # bytes at the start of buffer carried over from the previous chunk
    blanks = None
    with path.open("rb", buffering=0) as f:
        while read := f.readinto(view[carried:carried + CHUNK_BYTES]):
            filled = carried + read
            if (at := buffer.find(b"\x00", carried, filled)) >= 0:
                return _Scan(None, chunk_start + at, False)
            blanks = blanks or _BlankLineTracker(bytes(view[:min(filled, 1 << 16)]))
            blanks.feed(buffer, carried, filled, chunk_start)
            complete = _complete_prefix(buffer, filled)
            if not _is_utf8(view[:complete]):
                return _Scan(chunk_start + _first_bad_byte(bytes(view[:filled])), None, False)
            carried = filled - complete
            view[:carried] = view[complete:filled]
            chunk_start += complete
    bad = chunk_start if carried else None  # the file ends inside a multi-byte character
    return _Scan(bad, None, blanks is not None and blanks.inner_blank_lines)


def _is_utf8(data: memoryview) -> bool:
    """Whether ``data`` is valid UTF-8, checked by Arrow without copying it."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32))
    text = pa.StringArray.from_buffers(1, offsets, pa.py_buffer(data))
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _first_bad_byte(data: bytes) -> int:
    """Offset of the first byte of ``data`` Python's strict UTF-8 decoder rejects."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start
    return len(data)


def _complete_prefix(buffer: bytearray, end: int) -> int:
    """Length of the longest prefix of buffer[:end] not ending inside a UTF-8 character."""
    lead = end - 1
    while lead >= max(0, end - 4) and 0x80 <= buffer[lead] <= 0xBF:  # continuation bytes
        lead -= 1
    if lead < 0:
        return end
    first = buffer[lead]
    length = 2 if 0xC2 <= first <= 0xDF else 3 if 0xE0 <= first <= 0xEF else (
        4 if 0xF0 <= first <= 0xF4 else 1)
    return lead if lead + length > end else end


class _BlankLineTracker:
    """Fed a file's bytes in order; says whether a blank line comes before some content.

    That is so when the first blank line comes before the last byte that is not
    whitespace. A blank line is two line ends in a row; to keep large files fast, only the
    pair of bytes that starts a blank line with the line ends of the file's first chunk is
    looked for — "\\n\\n" (LF), "\\n\\r" (CRLF: "\\r\\n\\r\\n") or "\\r\\r" (old Mac CR) — with
    NumPy over 2-byte words at even and odd offsets (about 3× faster than bytes.find).
    """

    WHITESPACE = b" \t\r\n"

    def __init__(self, first_chunk: bytes):
        if b"\r\n" in first_chunk:
            self.pair = b"\n\r"
        elif b"\n" in first_chunk or b"\r" not in first_chunk:
            self.pair = b"\n\n"
        else:
            self.pair = b"\r\r"
        self.word = int.from_bytes(self.pair, "little")
        self.tail = b""  # the last byte seen, for a pair split between two chunks
        self.first_blank = -1  # file offset of the first blank line
        self.last_content = -1  # file offset of the last byte that is not whitespace

    def feed(self, buffer: bytes | bytearray, start: int, end: int, offset: int) -> None:
        """Look at the new bytes buffer[start:end]; ``offset`` is the file offset of buffer[0]."""
        if end <= start:
            return
        if self.first_blank < 0:
            if self.tail + bytes(buffer[start:start + 1]) == self.pair:
                self.first_blank = offset + start - 1
            elif (found := _first_pair(buffer, start, end, self.word)) >= 0:
                self.first_blank = offset + found
        last = end - 1
        while last >= start and buffer[last] in self.WHITESPACE:
            last -= 1
        if last >= start:
            self.last_content = offset + last
        self.tail = bytes(buffer[end - 1:end])

    @property
    def inner_blank_lines(self) -> bool:
        return 0 <= self.first_blank < self.last_content


def _first_pair(buffer: bytes | bytearray, start: int, end: int, word: int) -> int:
    """Offset of the first 2-byte ``word`` (little-endian) in buffer[start:end], or -1."""
    first = -1
    for at in (start, start + 1):
        count = (end - at) // 2
        if count > 0:
            hits = np.flatnonzero(np.frombuffer(buffer, np.uint16, count, at) == word)
            if hits.size and (first < 0 or at + 2 * int(hits[0]) < first):
                first = at + 2 * int(hits[0])
    return first


def _single_byte_encoding(path: Path, bad_offset: int, filename: str) -> str:
    """Decide between broken UTF-8, Windows-1252 and Latin-1 (see the module docstring)."""
    multibyte = c1 = undefined = False
    carry = b""
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            data = carry + chunk  # a sequence cut by the chunk's end is seen whole next time
            counts = np.bincount(np.frombuffer(chunk, np.uint8), minlength=256)
            c1 = c1 or bool(counts[0x80:0xA0].any())
            undefined = undefined or bool(counts[list(CP1252_UNDEFINED)].any())
            multibyte = multibyte or _has_utf8_multibyte(data)
            carry = chunk[-3:]
    if multibyte:
        line = _line_of(path, bad_offset)
        with path.open("rb") as f:
            f.seek(bad_offset)
            byte = f.read(1)[0]
        raise IngestError(
            f"undecodable bytes: the file is UTF-8 but byte 0x{byte:02X} at byte offset "
            f"{bad_offset:,} (line {line:,}) is not valid UTF-8, so it mixes encodings; "
            "save it again as \"CSV UTF-8\" and upload again", file=filename, row=line)
    return "cp1252" if c1 and not undefined else "latin-1"


def _has_utf8_multibyte(data: bytes) -> bool:
    """Whether ``data`` holds a well-formed multi-byte UTF-8 sequence.

    NumPy finds the candidates — a lead byte (0xC2–0xF4) followed by a continuation byte
    (0x80–0xBF), rare in single-byte text — and the regular expression checks each.
    """
    a = np.frombuffer(data, np.uint8)
    lead = (a[:-1] >= 0xC2) & (a[:-1] <= 0xF4) & (a[1:] >= 0x80) & (a[1:] <= 0xBF)
    return any(_UTF8_MULTIBYTE.match(data, int(position)) for position in np.flatnonzero(lead))


def _transcode(source: Path, encoding: str, target: Path, filename: str) -> bool:
    """Copy a single-byte-encoded file to UTF-8, chunk by chunk; return inner_blank_lines."""
    blanks = None
    offset = 0
    with source.open("rb") as src, target.open("wb") as out:
        while chunk := src.read(CHUNK_BYTES):
            if (at := chunk.find(b"\x00")) >= 0:
                _raise_nul(source, offset + at, filename)
            blanks = blanks or _BlankLineTracker(chunk[: 1 << 16])
            blanks.feed(chunk, 0, len(chunk), offset)
            out.write(chunk.decode(encoding).encode("utf-8"))
            offset += len(chunk)
    return blanks is not None and blanks.inner_blank_lines


def _raise_nul(path: Path, offset: int, filename: str):
    line = _line_of(path, offset)
    raise IngestError(f"the file contains a NUL byte at byte offset {offset:,} (line {line:,}), "
                      "so it is a binary file, not text", file=filename, row=line)


def _line_of(path: Path, offset: int) -> int:
    """1-based line number of the byte at ``offset`` (counting line feeds before it)."""
    lines, remaining = 1, offset
    with path.open("rb") as f:
        while remaining > 0 and (chunk := f.read(min(CHUNK_BYTES, remaining))):
            lines += chunk.count(b"\n")
            remaining -= len(chunk)
    return lines
