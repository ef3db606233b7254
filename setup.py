"""Build script: cythonizes the accelerated twins unless AIOHTTP_CLONE_NO_EXTENSIONS is set.

A machine without a C compiler still gets a working (pure-Python) install: a failed
extension build is reported and skipped rather than aborting the installation, unless
AIOHTTP_CLONE_REQUIRE_EXTENSIONS is set (release builds: a wheel must not ship without its
C twins). With AIOHTTP_CLONE_NO_EXTENSIONS set the distribution has no extension modules, so
the wheel is the pure ``py3-none-any`` one.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

NO_EXTENSIONS = bool(os.environ.get("AIOHTTP_CLONE_NO_EXTENSIONS"))
if sys.implementation.name != "cpython":
    NO_EXTENSIONS = True
REQUIRE_EXTENSIONS = bool(os.environ.get("AIOHTTP_CLONE_REQUIRE_EXTENSIONS")) and not NO_EXTENSIONS

# Each compiled twin: its module name and its Cython source. The Python twins and the switch
# that picks one of each pair at import time are in aiohttp_clone/_twins.py.
EXTENSION_MODULES = {
    "aiohttp_clone._http_parser": "aiohttp_clone/_http_parser.pyx",
    "aiohttp_clone._websocket.mask_c": "aiohttp_clone/_websocket/mask_c.pyx",
}


class OptionalBuildExt(build_ext):
    """Falls back to the pure-Python twins when the compiler is missing or fails."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            if REQUIRE_EXTENSIONS:
                raise
            print(f"WARNING: C extensions not built ({exc}); using pure Python", file=sys.stderr)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            if REQUIRE_EXTENSIONS:
                raise
            print(f"WARNING: {ext.name} not built ({exc}); using pure Python", file=sys.stderr)


def extensions() -> list[Extension]:
    if NO_EXTENSIONS:
        return []
    from Cython.Build import cythonize

    sources = [
        Extension(name, [source], extra_compile_args=["-O3"])
        for name, source in EXTENSION_MODULES.items()
        if os.path.exists(source)
    ]
    return cythonize(
        sources,
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
