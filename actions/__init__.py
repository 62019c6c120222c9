"""Custom actions of the shopping assistant (rasa-sdk action server).

Actions are thin: they translate the conversation (entities, slots) into calls to the
``retrieval`` library and render its answers. Outside systems are reached through
``actions.services`` and built once per process, never at import time.
"""
