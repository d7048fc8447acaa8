"""Log hygiene: no secret that travels in a URL reaches a log line (issue 9)."""

from __future__ import annotations

import logging
import re

# Paths whose segment after the prefix is a credential: invitation links today, and the
# password-reset and calendar-feed links of SPEC §13-14 when they come. A new token URL adds
# its prefix here (tests/test_logs.py walks the route table for `{token}` parameters).
_SECRET_SEGMENT = re.compile(
    r"(?<![^\s\"'])(?P<keep>/invitations/|/password/reset/|/calendar/|/projects/\d+/calendar/)[^/?#\s\"]+"
)
REDACTED = "[redacted]"


def redact(path: str) -> str:
    """The path with every secret segment replaced by REDACTED."""
    return _SECRET_SEGMENT.sub(lambda m: m.group("keep") + REDACTED, path)


class RedactSecrets(logging.Filter):
    """Rewrites the path of uvicorn's access log lines (args: client, method, path, …)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        elif isinstance(record.msg, str) and not args:
            record.msg = redact(record.msg)
        return True


def install() -> None:
    """Put the filter on uvicorn's access logger, once per process."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
