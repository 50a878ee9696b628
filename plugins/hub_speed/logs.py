"""What a conversion logs, captured to be logged again when its result comes from the cache."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[list[object]] = []
        self._seen: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if id(record) not in self._seen:
            self._seen.add(id(record))
            self.records.append([record.name, record.levelno, record.getMessage()])


@contextlib.contextmanager
def captured() -> Iterator[list[list[object]]]:
    handler = _Captured()
    loggers = [logging.getLogger(), logging.getLogger("mkdocs")]  # `mkdocs` does not propagate to the root
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def replay(records: list[list[object]]) -> None:
    """Log again what a cached conversion logged, so `--strict` fails exactly as without the cache."""
    for name, level, message in records:
        logging.getLogger(str(name)).log(int(level), "%s", message)  # type: ignore[call-overload]
