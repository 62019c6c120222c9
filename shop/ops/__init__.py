"""Operations: starting and supervising the servers, production mode, privacy jobs, terminal chat.

The top floor: tests, benchmarks and scripts import it, nothing in ``actions``, ``retrieval``,
``nlu``, ``web``, ``bot`` or ``handoff`` does (``tests/shop/test_layers.py`` checks).
"""
