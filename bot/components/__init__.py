"""Custom Rasa graph components; referenced from ``config.yml`` by dotted path."""
