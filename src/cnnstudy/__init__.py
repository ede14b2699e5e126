"""cnnstudy: reproduce, measure and extend a CNN architecture study on MNIST."""

__version__ = "0.1.0"
