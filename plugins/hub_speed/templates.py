"""Templates parsed and generated once per machine, not once per build.

A build spends most of a second turning some 80 Jinja templates into Python
(Jinja's lexer, parser and code generator, inside ``Environment.compile``,
jinja2/environment.py:732, pinned in :data:`.pins.COMPILE`). The Python Jinja
generates is kept in ``.cache/templates.sqlite3`` as text, keyed by the
template's source, name and file and by everything in the environment that
the generated code depends on: autoescaping, delimiters and whitespace
settings, extensions, and each filter's and test's calling convention. A hit
only compiles that Python with ``compile()``.

The generated code is run, so this file is never restored from elsewhere: the
publish workflow restores the sharing cards and the Markdown cache, not this
(tests/test_workflows.py). During `mkdocs serve`, compiled templates are also
kept in memory for the session, so a rebuild compiles nothing.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from jinja2.utils import _PassArg

from .cache import Store, digest

FORMAT = 1
JINJA = version("jinja2")


def environment_key(env: Any) -> str:
    """What the Python Jinja generates for a template depends on, besides the template itself."""
    def conventions(functions: dict[str, Any]) -> str:
        return ",".join(f"{name}:{_PassArg.from_obj(function)}" for name, function in sorted(functions.items()))

    def named(value: Any) -> str:  # classes and functions by name: their code is in Jinja's version
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', repr(value))}"

    return digest(str(FORMAT), JINJA, named(env.autoescape) if callable(env.autoescape) else str(env.autoescape), env.block_start_string,
                  env.block_end_string, env.variable_start_string, env.variable_end_string,
                  env.comment_start_string, env.comment_end_string, str(env.line_statement_prefix),
                  str(env.line_comment_prefix), str(env.trim_blocks), str(env.lstrip_blocks),
                  env.newline_sequence, str(env.keep_trailing_newline), ",".join(sorted(env.extensions)),
                  str(env.optimized), named(env.finalize), named(env.undefined), named(env.code_generator_class),
                  conventions(env.filters), conventions(env.tests), str(env.is_async))


class GeneratedSource:
    """The Python of each compiled template, by key, across builds."""

    def __init__(self, path: Path) -> None:
        self.store = Store(path, "templates", batch=4)  # a template's Python is tens of kB: not kept waiting
        self.hits = self.misses = 0
        self.closed = False

    def install(self, env: Any) -> None:
        """Make *env* compile template sources through this store."""
        original = env.compile

        def compile(source: Any, name: str | None = None, filename: str | None = None, raw: bool = False,
                    defer_init: bool = False) -> Any:
            if raw or not isinstance(source, str) or self.closed:  # closed: a template asked for after the build
                return original(source, name, filename, raw, defer_init)
            key = digest(environment_key(env), str(name), str(filename), str(defer_init), source)
            python = self.store.read(key)
            if python is None:
                self.misses += 1
                python = original(source, name, filename, True, defer_init)
                self.store.write(key, python)
            else:
                self.hits += 1
                self.store.used(key)
            return env._compile(python, filename or "<template>")

        env.compile = compile

    def close(self, prune: bool) -> None:
        if self.closed:
            return
        self.closed = True
        if prune:
            self.store.prune()
        self.store.close()


class SessionBytecode(BytecodeCache):
    """Compiled templates kept for the `mkdocs serve` session; Jinja checks each template's source checksum."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()
