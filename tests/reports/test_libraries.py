"""WeasyPrint's C libraries found from ldconfig's cache, as ctypes would find them."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

from reports.libraries import find_in_ldconfig

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldconfig is Linux's")

# The spellings WeasyPrint tries that name a library on Linux (weasyprint/text/ffi.py).
NAMES = ["gobject-2.0", "pango-1.0", "harfbuzz", "fontconfig", "pangoft2-1.0"]


@pytest.mark.parametrize("name", NAMES)
def test_each_library_is_the_one_find_library_names(name):
    assert find_in_ldconfig(name) is not None
    assert find_in_ldconfig(name) == ctypes.util.find_library(name)


def test_windows_and_macos_spellings_are_not_found_and_start_no_compiler():
    assert find_in_ldconfig("libgobject-2.0-0") is None
    assert find_in_ldconfig("libpango-1.0.dylib") is None


def test_a_fresh_process_imports_weasyprint_and_makes_a_pdf():
    code = (
        "from reports.libraries import import_weasyprint; "
        "pdf = import_weasyprint().HTML(string='<p>63.28</p>').write_pdf(); "
        "assert pdf.startswith(b'%PDF'), pdf[:8]"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
