"""The examples in the library's docstrings run and print what they say."""

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import nmfsep

# The web page, the batches and the torch backend need optional extras; their
# examples are exercised by their own tests.  ``__main__`` runs the command line.
OPTIONAL = ("nmfsep.studio", "nmfsep.batch", "nmfsep.torch_backend")
PACKAGE = Path(nmfsep.__file__).parent


def _has_examples(name: str) -> bool:
    parts = name.split(".")[1:] or ["__init__"]
    return ">>> " in (PACKAGE.joinpath(*parts).with_suffix(".py")).read_text()


MODULES = sorted(
    info.name for info in pkgutil.walk_packages(nmfsep.__path__, "nmfsep.")
    if not info.name.startswith(OPTIONAL) and not info.name.endswith("__main__")
    and not info.ispkg and _has_examples(info.name)
)


@pytest.mark.parametrize("name", ["nmfsep", *MODULES])
def test_docstring_examples_hold(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
