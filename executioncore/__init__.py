"""ExecutionCore, the application: command line, configuration, journal storage, reports."""

__version__ = "0.1.0"
