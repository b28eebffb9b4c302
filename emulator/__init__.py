"""im-emulator: local, stateful emulator of IM cloud server REST APIs."""

__version__ = "0.1.0"
