"""Every fixed text a customer sees, defined once for the action server, the web app and Rasa.

Why here: the same words were copied into the action server, Rasa's REST channel, the web app and
the domain, and the copies drifted apart. This module is plain Python with no imports at all, so
the Rasa environment (Python 3.10, pydantic 1) imports it as easily as the ML environment; importing
it never loads the settings. ``bot/domain/core.yml`` keeps a copy of ``TROUBLE_MESSAGE`` (Rasa reads
responses from YAML only) and ``tests/shop/test_messages.py`` fails when the two differ; the widget
gets the text substituted when it is served (``web/routes/store.py``).
"""

# A backing service (product store, action server, lock or tracker store, Rasa) cannot be reached.
TROUBLE_MESSAGE = "I'm having trouble reaching the shop right now, one moment please — try again in a few seconds."

# An unexpected error in our own code: a bug, not an outage, so retrying in a few seconds will not help.
BUG_MESSAGE = "Sorry, something went wrong on our side. Please try saying it differently, or ask to talk to a person."

# The bot hands the conversation to staff and pauses.
HANDOFF_MESSAGE = "I'm passing you to a member of our team — someone will be with you shortly. They'll see our conversation so far."

# Nobody claimed the conversation within SHOP_HANDOFF_TIMEOUT_SECONDS: the bot takes over again.
HANDOFF_TIMEOUT_MESSAGE = (
    "Sorry, nobody from our team is free right now. Your request stays in the queue and someone will get back to you "
    "here; in the meantime I'll carry on helping you."
)

# The customer asks for a person again while their earlier request is still queued after a timeout.
HANDOFF_STILL_QUEUED_MESSAGE = (
    "You're still in our team's queue: someone will join this chat as soon as they're free. "
    "Until then I'll carry on helping you."
)

# Metadata keys of the delivery protocol between the web app and Rasa's REST channel.
# On a bot event appended outside a customer's turn (a staff reply, the timeout notice): the REST
# channel hands it to a customer without a live stream at the start of its next answer.
OUT_OF_TURN = "out_of_turn"
# On a customer message whose client already receives those events live (the web widget's SSE).
RECEIVES_LIVE = "receives_live"
# On a customer message: the client's id of that message (the ``Idempotency-Key`` the web app sends
# Rasa's REST channel). A message re-sent with the same id is answered once; the action server keys
# the rows a turn writes (feedback, cart, handoff) by it, so a turn that runs twice writes them once.
MESSAGE_ID = "message_id"
IDEMPOTENCY_HEADER = "Idempotency-Key"

# Metadata of the NLU examples staff corrected in the review queue (``review/export.py`` writes it on
# each intent block of ``training_data/nlu/reviewed.yml``): the NLU component trains those examples
# ``reviewed_repeats`` times (``bot/components/joint_bert_nlu.py``).
REVIEWED_SOURCE = "reviewed"
