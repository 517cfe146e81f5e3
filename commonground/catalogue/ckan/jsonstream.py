"""Answers too large to build twice: JSON encoded piece by piece and sent as it is.

An action that may return a large part (``datastore_search_sql``'s ``records``) encodes it
itself, batch by batch, into an :class:`EncodedJSON` — checking its size as it grows — and
returns it inside its ordinary result dict. :func:`pieces` then encodes the envelope around it
without copying it, and the view streams the pieces (a ``StreamingHttpResponse``), so the
answer is in memory once, as bytes, and never also as Python objects or as one joined string.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.core.serializers.json import DjangoJSONEncoder

ENCODER = DjangoJSONEncoder()  # the encoder of every CKAN answer (views._finish)


class EncodedJSON:
    """A JSON value already encoded: UTF-8 byte chunks that, joined, are the value."""

    def __init__(self, chunks: list[bytes]):
        self.chunks = chunks

    def __len__(self) -> int:
        return sum(len(chunk) for chunk in self.chunks)


def contains_encoded(value) -> bool:
    """True when ``value`` (a dict, list or leaf) holds an :class:`EncodedJSON` anywhere."""
    if isinstance(value, EncodedJSON):
        return True
    if isinstance(value, dict):
        return any(contains_encoded(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_encoded(v) for v in value)
    return False


def pieces(value) -> Iterator[bytes]:
    """``value`` as JSON bytes, in pieces; :class:`EncodedJSON` chunks passed on as they are.

    The same text as ``json.dumps(value, cls=DjangoJSONEncoder)`` would give, were the encoded
    parts plain values.
    """
    if isinstance(value, EncodedJSON):
        yield from value.chunks
    elif isinstance(value, dict) and contains_encoded(value):
        yield b"{"
        for i, (key, item) in enumerate(value.items()):
            yield (", " if i else "").encode() + json.dumps(str(key)).encode() + b": "
            yield from pieces(item)
        yield b"}"
    elif isinstance(value, list | tuple) and contains_encoded(value):
        yield b"["
        for i, item in enumerate(value):
            if i:
                yield b", "
            yield from pieces(item)
        yield b"]"
    else:
        yield ENCODER.encode(value).encode()
