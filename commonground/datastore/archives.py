"""Safe handling of zip archives: zipped Shapefiles, and .xlsx files (which are zips).

Before anything is unpacked, :func:`check_zip` refuses archives that are password-protected,
hold unsafe paths (absolute, with a drive letter, or climbing out with ``..`` — "zip slip"),
would unpack to more than ``Limits.max_unpacked_bytes`` or have a member whose declared
expansion ratio exceeds ``Limits.max_zip_ratio`` (a zip bomb). Declared sizes can lie, so
:func:`extract` also counts the bytes it writes and stops at the limit. (Python's zipfile
itself never returns more than a member's declared size and then checks its CRC, so
openpyxl, which reads an .xlsx through zipfile, is bounded by the declared sizes checked
here.)
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

from .errors import IngestError, Limits, public_message

COPY_BYTES = 1 << 20  # extraction copies 1 MiB at a time
# The ratio is judged only for members larger than this: small files (a .prj, an XML part
# of an .xlsx) compress erratically and cannot be bombs of any size.
RATIO_FLOOR_BYTES = 1 << 20  # 1 MiB


def human_size(n: int) -> str:
    """A byte count for people: 1.5 GiB, 20.0 MiB, 512 bytes."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit}"
    return f"{n:,} bytes"


def open_zip(path: Path, *, filename: str, limits: Limits, kind: str = "zip") -> zipfile.ZipFile:
    """Open and :func:`check_zip` an archive; the caller closes it."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise IngestError(f"the file is not a valid {kind} file ({public_message(error, file=filename)})",
                          file=filename) from error
    try:
        check_zip(archive, filename=filename, limits=limits)
    except BaseException:
        archive.close()
        raise
    return archive


def check_zip(archive: zipfile.ZipFile, *, filename: str, limits: Limits) -> None:
    """Refuse an unsafe archive from its directory alone, before unpacking anything."""
    members = archive.infolist()
    for info in members:
        if is_unsafe_path(info.filename):
            raise IngestError(f"the zip holds an unsafe path {info.filename!r} (absolute, or "
                              "climbing out of the folder with '..'); nothing was extracted",
                              file=filename)
        if info.flag_bits & 0x1:
            raise IngestError(f"the zip member {info.filename!r} is password-protected",
                              file=filename)
    total = sum(info.file_size for info in members)
    if total > limits.max_unpacked_bytes:
        raise IngestError(f"the zip would unpack to {human_size(total)}, more than the "
                          f"{human_size(limits.max_unpacked_bytes)} allowed", file=filename)
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_zip_ratio:
            raise IngestError(
                f"the zip member {info.filename!r} would expand {ratio:,.0f} times "
                f"({human_size(info.compress_size)} to {human_size(info.file_size)}), more "
                f"than the {limits.max_zip_ratio:,.0f} allowed: it looks like a zip bomb",
                file=filename)


def is_unsafe_path(name: str) -> bool:
    """True for a member name that could write outside the extraction folder."""
    normal = name.replace("\\", "/")
    return (normal.startswith("/") or re.match(r"^[A-Za-z]:", normal) is not None
            or ".." in PurePosixPath(normal).parts)


def extract(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], target: Path, *,
            filename: str, limits: Limits) -> list[Path]:
    """Unpack members (checked with :func:`check_zip`) into ``target``, under new names.

    ``members`` maps the file name to write (a plain name, no folders) to the member.
    Writing streams while counting bytes: if the total passes
    ``limits.max_unpacked_bytes``, or a member yields more than it declared, extraction
    stops with an error. Returns the written paths, in the order given.
    """
    target.mkdir(parents=True, exist_ok=True)
    written, total = [], 0
    for name, info in members.items():
        if is_unsafe_path(info.filename) or PurePosixPath(name).name != name:
            raise IngestError(f"the zip holds an unsafe path {info.filename!r}", file=filename)
        destination = target / name
        member_bytes = 0
        try:
            with archive.open(info) as source, destination.open("wb") as out:
                while block := source.read(COPY_BYTES):
                    member_bytes += len(block)
                    total += len(block)
                    if total > limits.max_unpacked_bytes or member_bytes > info.file_size:
                        raise IngestError(
                            f"the zip unpacks to more than it declares or than the "
                            f"{human_size(limits.max_unpacked_bytes)} allowed (stopped at "
                            f"{info.filename!r}); it looks like a zip bomb", file=filename)
                    out.write(block)
        except (zipfile.BadZipFile, EOFError, OSError) as error:
            raise IngestError(f"the zip is damaged: {public_message(error, file=filename)}",
                              file=filename) from error
        written.append(destination)
    return written
