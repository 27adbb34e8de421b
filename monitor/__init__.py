"""news-monitor: a multilingual news monitoring and alerting daemon."""

__version__ = "0.1.0"
