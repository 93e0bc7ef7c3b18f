"""Importing WeasyPrint without starting two hundred processes.

WeasyPrint opens its C libraries (GObject, Pango, HarfBuzz, fontconfig) through cffi, trying
each library's name as Windows, macOS and Linux spell it. For each name that is not a file,
cffi asks `ctypes.util.find_library`, which on Linux runs `ldconfig -p` and, when that finds
nothing, gcc and then ld. Importing WeasyPrint here started 215 processes (22 ldconfig, 16
gcc, 16 ld and their helpers) and took 0.6 to 0.9 s, paid by every process that makes its
first PDF (a cold `build_report`, each worker).

`quick_library_lookup()` makes find_library answer, while WeasyPrint is imported, from one
reading of `ldconfig -p`: the step find_library itself tries first, so it names the same
library. Should WeasyPrint then fail to find one (a library outside ldconfig's cache, found
only by the gcc or ld fallbacks), the import is simply tried again the ordinary way.
"""

from __future__ import annotations

import ctypes.util
import functools
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@functools.cache
def _ldconfig_cache() -> str:
    for ldconfig in ("/sbin/ldconfig", "/usr/sbin/ldconfig"):
        try:
            done = subprocess.run(  # noqa: S603 - a fixed command, no user input
                [ldconfig, "-p"],
                capture_output=True,
                text=True,
                env={"LC_ALL": "C", "LANG": "C"},
                check=False,
            )
        except OSError:
            continue
        return done.stdout
    return ""


def _abi() -> str:
    """The ABI tag ldconfig prints for libraries of this process's kind, as ctypes finds it."""
    machine = os.uname().machine + ("-64" if sys.maxsize > 2**32 else "-32")
    return {
        "x86_64-64": "libc6,x86-64",
        "ppc64-64": "libc6,64bit",
        "sparc64-64": "libc6,64bit",
        "s390x-64": "libc6,64bit",
        "ia64-64": "libc6,IA-64",
    }.get(machine, "libc6")


def find_in_ldconfig(name: str) -> str | None:
    """The library file name ldconfig knows for `name` (`pango-1.0` -> libpango-1.0.so.0)."""
    found = re.search(
        rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({re.escape(_abi())}", _ldconfig_cache()
    )
    return found.group(1) if found else None


@contextmanager
def quick_library_lookup() -> Iterator[None]:
    original: Callable[[str], str | None] = ctypes.util.find_library
    if not sys.platform.startswith("linux"):
        yield
        return
    ctypes.util.find_library = find_in_ldconfig
    try:
        yield
    finally:
        ctypes.util.find_library = original


def import_weasyprint():
    """The weasyprint module, imported with `quick_library_lookup` (and without it should
    that not find every library)."""
    try:
        with quick_library_lookup():
            import weasyprint
    except OSError:
        for module in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[module]
        import weasyprint
    return weasyprint
