"""``-o FILE``: the body streamed to a file, only when it is the file; ``--continue`` resumes it.

The conventions are httpie's and wget's: an error page (or an unfollowed redirect) is not saved
as the file unless asked; a resume sends ``Range: bytes=N-`` for the N bytes on disk, appends on
``206``, starts over on ``200`` (the server ignored the range; curl gives up there instead), and
takes ``416`` with ``Content-Range: bytes */N`` as "already complete". A 416 naming another size
is refused, where curl and wget call any 416 complete: a local file larger than the server's is
not that file. A download that breaks off keeps its bytes and says how to resume; a file left
empty is removed.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence

from .. import ClientResponse, hdrs
from .exits import EXIT_NETWORK, exit_code_for_refused
from .failures import DownloadRefused, Outcome, report
from .progress import Progress

__all__ = ("CHUNK", "Download")

CHUNK = 65536  # bytes per read when streaming a body: large enough to keep syscalls rare
_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", re.IGNORECASE)
_UNSATISFIED = re.compile(r"bytes\s+\*/(\d+)\s*", re.IGNORECASE)
_RANGE_NOT_SATISFIABLE = 416


class Download:
    """Where the body goes; with ``resume``, the bytes already at ``path`` are kept and extended."""

    def __init__(self, path: str, resume: bool, save_errors: bool) -> None:
        self.path = path
        self.offset = os.path.getsize(path) if resume and os.path.isfile(path) else 0
        self.save_errors = save_errors

    def request_headers(self, headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """The plan's headers plus what a download needs, unless the user set them."""
        given = {name.lower() for name, _ in headers}
        extra = []
        if "accept-encoding" not in given:
            # The file should hold the bytes that Content-Length and Range count.
            extra.append(("Accept-Encoding", "identity"))
        if self.offset and "range" not in given:
            extra.append(("Range", f"bytes={self.offset}-"))
        return [*headers, *extra]

    async def save(self, response: ClientResponse, outcome: Outcome, show_progress: bool) -> int:
        """Write the body to the file; return the status the file stands for (416 complete: 200).

        Raises DownloadRefused, without touching the file, when the answer is not the file.
        """
        status = response.status
        if status == _RANGE_NOT_SATISFIABLE and self.offset:
            self._check_complete(response)
            report("note", f"{self.path} is already complete ({self.offset} bytes)")
            return 200
        if status >= 300 and not self.save_errors:
            reason = f"{status} {response.reason or ''}".rstrip()
            raise DownloadRefused(
                f"HTTP {reason}: not saved to {self.path} (--save-errors saves such answers)",
                exit_code_for_refused(status),
            )
        start = self._resume_point(response)
        await self._stream(response, start, outcome, show_progress)
        return status

    def _check_complete(self, response: ClientResponse) -> None:
        match = _UNSATISFIED.fullmatch(response.headers.get(hdrs.CONTENT_RANGE, ""))
        size = int(match.group(1)) if match else None
        if size == self.offset:
            return
        server_has = "does not say its size" if size is None else f"has {size} bytes"
        raise DownloadRefused(
            f"cannot resume {self.path} at byte {self.offset}: the server {server_has} "
            f"(416 Range Not Satisfiable); remove {self.path} to download it again",
            exit_code_for_refused(response.status),
        )

    def _resume_point(self, response: ClientResponse) -> int:
        """Where the body goes in the file: after the bytes on disk for 206, else at 0."""
        if not self.offset:
            return 0
        if response.status != 206:
            report(
                "note",
                f"the server did not resume ({response.status}, not 206): "
                f"downloading {self.path} from the start",
            )
            return 0
        match = _RANGE.fullmatch(response.headers.get(hdrs.CONTENT_RANGE, ""))
        if match is None or int(match.group(1)) != self.offset:
            raise DownloadRefused(
                f"the server answered a range other than bytes={self.offset}- "
                f"(Content-Range: {response.headers.get(hdrs.CONTENT_RANGE)}): "
                f"{self.path} left as it was",
                EXIT_NETWORK,
            )
        if hdrs.CONTENT_ENCODING in response.headers:
            raise DownloadRefused(
                f"the server sent the rest content-coded, so it cannot be appended to the "
                f"{self.offset} bytes on disk; remove {self.path} to download it again",
                EXIT_NETWORK,
            )
        return self.offset

    async def _stream(
        self, response: ClientResponse, start: int, outcome: Outcome, show_progress: bool
    ) -> None:
        expected = outcome.expected_bytes
        total = None if expected is None else start + expected
        progress = Progress(total, sys.stderr, start=start) if show_progress else None
        file = open(self.path, "ab" if start else "wb")  # noqa: SIM115 - closed below
        try:
            with file:
                async for chunk in response.content.iter_chunked(CHUNK):
                    file.write(chunk)
                    outcome.body_bytes += len(chunk)
                    if progress is not None:
                        progress.update(len(chunk))
        except BaseException:  # a timeout, a broken transfer or Ctrl-C: keep what came
            if progress is not None:
                progress.end_line()
            self._keep_or_remove(start, total, outcome)
            raise
        if progress is not None:
            progress.finish()

    def _keep_or_remove(self, start: int, total: int | None, outcome: Outcome) -> None:
        size = start + outcome.body_bytes
        if not size:
            try:
                os.remove(self.path)  # an empty file is no help to anyone
            except OSError:
                pass
            return
        outcome.partial_file = self.path
        outcome.partial_size = size
        outcome.full_size = total
