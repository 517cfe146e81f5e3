"""What integer and number accept, at the edges of the plain-number shortcut in typed_sql."""

import duckdb
import pytest

from commonground.datastore import typesql

LONG_NINES = "9" * 299  # a plain decimal just under the shortcut's length limit: finite
TOO_LONG = "9" * 400  # past it, and past the largest DOUBLE: not a number


@pytest.mark.parametrize(("text", "integer", "number"), [
    ("12", 12, 12.0),
    ("+7", 7, 7.0),
    ("-0", 0, 0.0),
    ("007", 7, 7.0),  # fits; the leading-zeros rule then keeps such a column as text
    ("1,234", 1234, 1234.0),
    ("1,23", None, None),  # commas only in groups of three
    ("9223372036854775807", 9223372036854775807, 9.223372036854776e18),
    ("9223372036854775808", None, 9.223372036854776e18),  # beyond BIGINT
    ("5.", None, 5.0),
    (".5", None, 0.5),
    ("-.5", None, -0.5),
    ("1e3", None, 1000.0),
    ("1,234.5", None, 1234.5),
    (LONG_NINES, None, float(LONG_NINES)),
    (TOO_LONG, None, None),
    ("1e999", None, None),
    ("NaN", None, None),
    ("inf", None, None),
    ("0x10", None, None),
    ("1_000", None, None),
    (".", None, None),
    ("+", None, None),
    ("", None, None),
])
def test_integer_and_number_read_plain_and_general_forms_alike(text, integer, number):
    con = duckdb.connect()
    got = con.execute(f"SELECT {typesql.typed_sql('$1', 'integer', None)}, "
                      f"{typesql.typed_sql('$1', 'number', None)}", [text]).fetchone()
    assert got == (integer, number)
