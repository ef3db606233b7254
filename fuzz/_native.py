"""Where the fuzz targets get the C twins from.

``make fuzz`` builds the extensions a second time with clang's ``-fsanitize=fuzzer-no-link``
(coverage counters and comparison hooks for libFuzzer) into ``build/fuzz/lib`` and names that
directory in ``FUZZ_EXTENSION_DIR``. The package itself has by then imported its own (in-place,
uninstrumented) build, so the instrumented file is loaded a second time under the same module
name, from its own path; its imports of the package's pure-Python modules resolve as usual.
Without ``FUZZ_EXTENSION_DIR`` the in-place build is used, and libFuzzer is guided only by the
Python code atheris instruments.
"""

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

C_TWINS = ("aiohttp_clone._http_parser", "aiohttp_clone._websocket.mask_c")
"""The compiled twins, by module name (setup.py builds each from its .pyx)."""


def built_file(directory: Path, qualified: str) -> list[Path]:
    """The extension files of module ``qualified`` under a build directory."""
    *package, name = qualified.split(".")
    return sorted(Path(directory, *package).glob(f"{name}.*.so"))


def load_twin(qualified: str) -> tuple[ModuleType, str]:
    """The C twin ``qualified`` and a line saying where it came from."""
    directory = os.environ.get("FUZZ_EXTENSION_DIR")
    if not directory:
        module = importlib.import_module(qualified)
        return module, f"{qualified}: {module.__file__} (not instrumented)"
    found = built_file(Path(directory), qualified)
    if not found:
        sys.exit(f"no build of {qualified} in {directory}: build it first (make fuzz)")
    spec = importlib.util.spec_from_file_location(qualified, found[0])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, f"{qualified}: {module.__file__} (instrumented)"


def instrument_module(module: ModuleType) -> None:
    """Atheris coverage for every function and method defined in ``module``.

    ``atheris.instrument_imports`` only covers modules imported inside it, and importing the
    package has already loaded the pure-Python twins, so their code objects are patched here.
    """
    import atheris

    for value in list(vars(module).values()):
        functions = [value]
        if isinstance(value, type) and value.__module__ == module.__name__:
            functions = [getattr(member, "fget", member) for member in vars(value).values()]
        for func in functions:
            if getattr(func, "__module__", None) == module.__name__ and hasattr(func, "__code__"):
                atheris.instrument_func(func)
