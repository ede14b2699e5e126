"""cnnstudy: reproduce, measure and extend a CNN architecture study on MNIST."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cnnstudy")
except PackageNotFoundError:  # a plain checkout on PYTHONPATH, not installed
    __version__ = "unknown"
