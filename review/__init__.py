"""The review loop: turns that went wrong become corrections, training data, test stories and labels.

Why a package of its own, below ``web``: the web app's console shows the queue and stores what
reviewers correct, while ``make retrain`` (``review.gate``) and the forget-me job read and delete the
same rows without a web app running. Nothing here imports ``web``, ``actions`` or ``bot``.

Flow: ``collect`` scans Rasa's tracker store for turns that went wrong (or might have) into
``review_items``; ``grouping`` ranks them by how often the same kind of message occurs; reviewers
correct them (``corrections``); ``export`` writes NLU examples, test stories and relevance labels in
the project's own formats; ``gate`` retrains and ships only a model that is not worse.
"""
