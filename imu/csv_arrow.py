"""The fast way to read a recording's CSV: pyarrow's multi-threaded parser, for a *plain* file.

A plain file is what loggers and :func:`imu.recording.write_recording` write: the header on the first
line, then one data row per line, every line ending in ``\\n`` (the last one too), no quote character
and no carriage return anywhere. :func:`plain_csv_columns` parses chosen columns of such a file as
float64, with the words pandas reads as missing values (:data:`PANDAS_NA_VALUES`), to the same bits as
``pandas.read_csv`` (both round correctly). It gives up, returning None, whenever the file or a value
needs a closer look: a blank line, a row whose number of fields is not the header's, a value that is not
a number, a NaN spelled in a way pandas refuses (``NAN``, ``+nan``), a file that is not plain. The
caller then reads the file the careful way (:func:`imu.recording.read_recording`), which keeps every
complete row of a cut-off file and names the line and the problem of a broken one: the fast way never
decides what is wrong with a file, so the messages stay the careful way's.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

__all__ = ["PANDAS_NA_VALUES", "is_plain", "plain_csv_columns"]

#: The cell texts ``pandas.read_csv`` reads as missing by default (``pandas._libs.parsers.STR_NA_VALUES``).
PANDAS_NA_VALUES = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")


def is_plain(data: bytes) -> bool:
    """Whether ``data`` can be a plain CSV: a non-blank first line, a final ``\\n``, no ``"`` and no
    ``\\r`` (``memchr`` searches, ~2 ms each for an hour at 100 Hz). A blank line is found by the
    parser: a line of spaces is a row of the wrong length, an empty one a row without a time stamp.
    """
    head = data[:data.find(b"\n") + 1]
    return data.endswith(b"\n") and not head.isspace() and data.find(b'"') < 0 and data.find(b"\r") < 0


def plain_csv_columns(data: bytes, n_fields: int, usecols: Sequence[int]) -> list[np.ndarray] | None:
    """The columns at positions ``usecols`` of the data rows of the plain CSV ``data``, as float64
    (NaN for a missing value), or None when the file is not plain or anything needs a closer look.

    ``n_fields``: the header's number of fields, which every data row must have. The first of ``usecols``
    is a column no row may leave empty (the time stamp): the parser reads an empty line as a row of empty
    fields, and this is how it is told from one. At least one data row.
    """
    if not is_plain(data):
        return None
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(n_fields)]
    wanted = [names[i] for i in usecols]
    try:
        table = pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(skip_rows=1, column_names=names, use_threads=True),
            parse_options=pcsv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(include_columns=wanted, column_types=dict.fromkeys(wanted, pa.float64()),
                                                null_values=list(PANDAS_NA_VALUES), strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        return None
    if table.num_rows == 0 or table.column(wanted[0]).null_count:
        return None  # no rows, or a row without a time stamp: an empty line, or a row the careful way refuses
    columns = []
    for name in wanted:
        col = table.column(name)
        values = col.to_numpy()
        if int(np.count_nonzero(np.isnan(values))) != col.null_count:
            return None  # a NaN written as a number (NAN, +nan): pandas refuses those, the careful way says so
        columns.append(values)
    return columns
