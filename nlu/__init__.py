"""Joint BERT intent + slot model of the shopping assistant.

Training modules (``model``, ``trainer``, ``export``) need torch and run in ``.venv-ml``;
``runtime``, ``normalise`` and ``text`` only need numpy/onnxruntime/tokenizers and the standard
library so that the Rasa component can import them inside ``.venv-rasa``. Nothing heavy is imported
here on purpose: importing ``nlu.runtime`` must not pull torch in.
"""
