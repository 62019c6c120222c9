"""Input channels of our own (loaded by Rasa from credentials files by module path)."""
