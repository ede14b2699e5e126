"""cnnstudy: reproduce, measure and extend a CNN architecture study on MNIST."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cnnstudy")
except PackageNotFoundError:  # a source tree put on sys.path by hand, not installed
    __version__ = "unknown"
