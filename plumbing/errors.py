"""Errors that reach the user as one line and exit status 2, and the warnings that are stated on one line.

Every problem caused by the user's input (a malformed data file, a failed
download, a bad configuration) is raised as a :class:`FactorRegimesError`.
The command-line interface prints ``str(error)`` on one line and exits with
status 2; anything else is a bug and keeps its traceback.

What the user must know but that is not an error (a cache entry discarded
and recomputed, rows a publisher splices in that were dropped) is a
:class:`FactorRegimesWarning`, which the command line prints as one line
``warning: <message>``.
"""

from __future__ import annotations

from os import PathLike


class FactorRegimesError(Exception):
    """Base class of errors caused by user input (exit status 2)."""

    exit_status: int = 2


class DataError(FactorRegimesError):
    """A data file is missing, malformed or implausible.

    Parameters
    ----------
    path : str or PathLike or None
        The file (or URL) that is at fault.
    message : str
        What was expected and what was found.
    line : int or None
        1-based line number in the file, when one line is at fault.
    """

    def __init__(self, path: str | PathLike[str] | None, message: str, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.message = message
        super().__init__(self._render())

    def __reduce__(self):
        # rebuilt from its parts, so it crosses process boundaries (a sweep's worker pool, Dask)
        # as itself; the default would call __init__ with the rendered message alone and fail,
        # which the pool reports as a crashed worker ("BrokenProcessPool") instead of this error
        return (type(self), (self.path, self.message, self.line))

    def _render(self) -> str:
        if self.path is None:
            return self.message
        where = self.path if self.line is None else f"{self.path}, line {self.line}"
        return f"{where}: {self.message}"


class SeriesMismatch(DataError):
    """A well-formed file that holds another series than its slot asks for.

    For example a daily file under a monthly file's name, or a FRED file of
    another series id. The downloader says "the reply is not the ... file".
    """


class DownloadError(DataError):
    """A publisher's file could not be fetched or was not what it should be."""


class FactorRegimesWarning(UserWarning):
    """Base class of the framework's warnings: something the user must know, that is not an error.

    Library users see them as normal Python warnings (filterable by this
    class); the command-line interface prints each as one line
    ``warning: <message>`` on standard error.
    """


class DataWarning(FactorRegimesWarning):
    """Data were read as published but something about them must be stated (for example rows dropped)."""


class EstimatorInputError(FactorRegimesError, ValueError):
    """Bad data or parameters given to an estimator (a detector or forecaster).

    A ``ValueError`` too, as scikit-learn's conventions ask of an estimator's
    input errors, so the estimators compose with scikit-learn's tools.
    """
