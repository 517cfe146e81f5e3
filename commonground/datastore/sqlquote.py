r"""Text made safe to write into DuckDB SQL: identifiers, string literals and LIKE patterns.

The one place SQL is quoted. Values a user gives are bound as parameters wherever DuckDB
allows one; these functions are for the rest: column and table names, file paths in
``read_parquet(...)``/``COPY ... TO``, settings and the constant patterns of type inference.
Each works for any text: quotes, backslashes, NUL, spaces, any Unicode.

- :func:`identifier`: a double-quoted identifier (``"`` doubled), e.g. ``"Site ""A"" east"``;
- :func:`literal`: a single-quoted string literal (``'`` doubled; a backslash is an ordinary
  character in DuckDB's standard strings), e.g. ``'O''Brien'``;
- :func:`like_pattern`: text whose ``%``, ``_`` and ``\`` match only themselves in a
  ``LIKE``/``ILIKE`` pattern written with :data:`LIKE_ESCAPE`, e.g.
  ``column ILIKE ? ESCAPE '\'`` with the parameter ``"%" + like_pattern(word) + "%"``.
"""

from __future__ import annotations

#: The clause that follows a ``LIKE``/``ILIKE`` whose pattern went through :func:`like_pattern`.
LIKE_ESCAPE = "ESCAPE '\\'"


def identifier(name: str) -> str:
    """``name`` as a DuckDB identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as a DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


def like_pattern(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern that ends in :data:`LIKE_ESCAPE`."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
