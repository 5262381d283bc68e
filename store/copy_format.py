"""PostgreSQL's COPY text format, made a column at a time (issue 3)."""
from __future__ import annotations

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_BOOLEANS = {True: "t", False: "f", None: "\\N"}


def copy_text(columns: list[list]) -> bytes:
    """Driver values, column by column, as the rows of PostgreSQL's COPY text format: tab-separated, \\N for
    NULL, backslash, tab and line breaks escaped, booleans t / f. One buffer for the writer to send, instead of
    psycopg formatting each row (a dossier batch's is made where it is prepared, off the pull's critical path)."""
    if not len(columns[0]):
        return b""  # no rows (an empty line would be a row of one empty column)
    texts = []
    for values in columns:
        first = next((v for v in values if v is not None), None)
        if isinstance(first, bool):
            values = list(map(_COPY_BOOLEANS.__getitem__, values))
        elif isinstance(first, (int, float)):
            values = ["\\N" if v is None else str(v) for v in values] if None in values else list(map(str, values))
        else:
            missing = None in values
            joined = "".join([v for v in values if v is not None] if missing else values)
            if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
                values = [v if v is None else v.translate(_COPY_ESCAPES) for v in values]
            if missing:
                values = ["\\N" if v is None else v for v in values]
        texts.append(values)
    return ("\n".join(map("\t".join, zip(*texts))) + "\n").encode()


def write(copy, text: bytes) -> None:
    """Send COPY text (made as UTF-8) through psycopg's `copy`, in its connection's encoding."""
    encoding = copy.connection.info.encoding
    copy.write(text if encoding == "utf-8" else text.decode("utf-8").encode(encoding))
