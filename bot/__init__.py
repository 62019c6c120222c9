"""Rasa-side code of the shopping assistant (runs in ``.venv-rasa``)."""
