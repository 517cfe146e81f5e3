"""Where a dataset version lives: a folder, or an S3-compatible object store.

The datastore (``COMMONGROUND_DATASTORE``) is either a folder (the default,
``var/datastore``) or a URL ``s3://bucket/prefix``. A version's files (its Parquet file and
the original upload) are named in the database by a path relative to it
(``Version.parquet``); :func:`location` turns that into what every reader opens: a
:class:`~pathlib.Path` in a folder, a ``s3://bucket/prefix/...`` string in a store. Both are
read the same way:

- DuckDB, through :func:`connect` (or :func:`register` on a connection made elsewhere),
  which registers the store's file system with the connection, so ``read_parquet('s3://…')``
  works without DuckDB's ``httpfs`` extension (DuckDB's Python API reads through any fsspec
  file system: ``DuckDBPyConnection.register_filesystem``);
- pyarrow, with :func:`filesystem_for` (``pq.ParquetFile(where, filesystem=...)``);
- plain bytes through :func:`open_input`.

A store is reached with ``s3fs`` (the ``s3`` extra). ``COMMONGROUND_S3_ENDPOINT_URL`` (read
from the environment when the file system is first made, as ``query`` reads its cache size)
names a store other than AWS (MinIO, Ceph, Garage...); the key, secret and region are read
as every AWS client reads them (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_DEFAULT_REGION``, or a profile).

Object stores have no rename, and need none here: a version is written whole in a local
scratch folder (:func:`staging_folder`), then put under its final key (:func:`put`) *before*
the database names it, in one transaction; a failed ingest deletes what it put
(:func:`delete_tree`). Nothing is ever rewritten, so no reader sees a half-written version.

Files that are one machine's business stay in a local folder, :func:`local_root`: staged
uploads, ingest and export scratch (``tmp/``), and scoped download copies (``scoped/``). With
a folder datastore that is the datastore itself (as before); with a store it is
``COMMONGROUND_DATASTORE_LOCAL`` (default ``var/datastore``).

Like the rest of :mod:`commonground.datastore`, no Django here: the callers pass the
settings (``catalogue.models.Version.parquet_path``, ``catalogue.models.local_datastore``).
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # duckdb is imported where a connection is made (a light import here)
    import duckdb

#: The URL scheme of an S3-compatible store.
S3 = "s3://"

Location = Path | str

_lock = threading.Lock()
_filesystems: dict[tuple, object] = {}  # (pid, endpoint) -> s3fs file system
_registered: dict[int, object] = {}  # id(DuckDB connection) -> the file system registered


def root(setting: Path | str) -> Location:
    """The datastore named by ``setting``: a folder (``Path``) or an ``s3://bucket/prefix``
    URL (``str``, no trailing slash)."""
    text = str(setting)
    if text.startswith(S3):
        return text.rstrip("/")
    return Path(setting)


def is_remote(where: Location) -> bool:
    """Whether ``where`` (the datastore, or a file in it) is in an object store."""
    return str(where).startswith(S3)


def local_root(setting: Path | str, local: Path | str) -> Path:
    """The local folder for uploads, scratch and scoped copies: the datastore itself when it
    is a folder, else ``local`` (see the module docstring)."""
    return Path(local) if is_remote(setting) else Path(setting)


def location(setting: Path | str, relative: str | Path) -> Location:
    """Where the datastore file named ``relative`` (as stored in the database) lives."""
    base = root(setting)
    if isinstance(base, Path):
        return base / relative
    filesystem()  # made now, so every connection() that may read this location registers it
    return f"{base}/{Path(relative).as_posix()}"


def staging_folder(setting: Path | str, relative: str | Path, scratch: Path) -> Path:
    """The local folder to write the new datastore folder ``relative`` in before :func:`put`:
    the final folder itself in a folder datastore; for a store, one in ``scratch`` (which the
    caller deletes)."""
    if is_remote(setting):
        return scratch / "version"
    return Path(setting) / relative


def filesystem():
    """The store's fsspec file system (``s3fs.S3FileSystem``), one per process."""
    endpoint = os.environ.get("COMMONGROUND_S3_ENDPOINT_URL") or None
    key = (os.getpid(), endpoint)  # a forked worker makes its own (s3fs runs an event loop)
    with _lock:
        fs = _filesystems.get(key)
        if fs is None:
            try:
                import s3fs  # type: ignore[import-untyped]  # ships no type hints
            except ImportError:  # pragma: no cover - depends on the installation
                raise RuntimeError("COMMONGROUND_DATASTORE is an s3:// URL: install the "
                                   "'s3' extra (pip install 'commonground[s3]')") from None
            # No listing cache: another machine may have put a version since we last looked.
            fs = _filesystems[key] = s3fs.S3FileSystem(
                endpoint_url=endpoint, use_listings_cache=False, skip_instance_cache=True)
        return fs


def filesystem_for(where: Location):
    """The file system to pass to pyarrow for ``where`` (None: a local path)."""
    return filesystem() if is_remote(where) else None


def register(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Let ``con`` (and its cursors) read and write ``s3://`` paths; returns it.

    Cheap when done before; a connection that outlives a change of store (the tests' store
    on a new port) gets the new one. Nothing is registered (and s3fs is not imported) until
    this process uses a store: :func:`location` of a store's file makes its file system."""
    with _lock:
        current = _filesystems.get((os.getpid(),
                                    os.environ.get("COMMONGROUND_S3_ENDPOINT_URL") or None))
    if current is None:
        return con
    with _lock:
        if "s3" in con.list_filesystems():  # s3fs registers under its first protocol
            if _registered.get(id(con)) is current:  # (an id is only trusted with this check)
                return con
            con.unregister_filesystem("s3")
        con.register_filesystem(current)
        _registered[id(con)] = current
    return con


def connect(**config) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection (``config`` as ``duckdb.connect``'s) that reads the
    datastore wherever it is."""
    import duckdb

    con = duckdb.connect(config=config) if config else duckdb.connect()
    try:
        return register(con)
    except BaseException:
        con.close()
        raise


def exists(where: Location) -> bool:
    if is_remote(where):
        return filesystem().exists(str(where))
    return Path(where).exists()


def size(where: Location) -> int:
    """Bytes of the file at ``where``."""
    if is_remote(where):
        return int(filesystem().size(str(where)))
    return os.path.getsize(where)


def open_input(where: Location) -> IO[bytes]:
    """The file at ``where``, open for reading bytes (the caller closes it)."""
    if is_remote(where):
        return filesystem().open(str(where), "rb")
    return open(where, "rb")  # noqa: SIM115 - the caller closes it


def put(local: Path, target: Location) -> Location:
    """Publish the finished local file ``local`` as the datastore file ``target``.

    In a folder datastore, ``local`` must already be that file (ingest writes it in place):
    nothing is copied. In a store, the file is uploaded under its final key (one PUT, or a
    multipart upload that becomes visible only when complete)."""
    if not is_remote(target):
        if Path(local).resolve() != Path(target).resolve():
            raise ValueError(f"{local} is not the datastore file {target}")
        return target
    filesystem().put_file(str(local), str(target))
    return target


def delete_tree(target: Location) -> None:
    """Delete the datastore folder ``target`` and everything in it (nothing if absent)."""
    if not is_remote(target):
        shutil.rmtree(target, ignore_errors=True)
        return
    fs = filesystem()
    try:
        fs.rm(str(target), recursive=True)
    except FileNotFoundError:
        return
