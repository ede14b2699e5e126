"""The project's error types: each carries a one-line message that names the problem."""


class CnnstudyError(Exception):
    """Base class: an error the user can act on, printed as one line without a traceback."""


class ConfigError(CnnstudyError, ValueError):
    """A config key, type or value the project cannot use."""


class DataError(CnnstudyError, ValueError):
    """An input data file that is missing, truncated, corrupt or inconsistent."""


class DivergenceError(CnnstudyError, RuntimeError):
    """Training produced a NaN or infinite loss."""


class CheckpointError(CnnstudyError, ValueError):
    """A checkpoint that is corrupt or belongs to another variant."""


class EnvironmentMismatch(CnnstudyError, RuntimeError):
    """A job's environment holds other library code than the workflow it runs for."""
