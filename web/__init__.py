"""The web app: demo store with the chat widget (customers) and the staff console (handoffs)."""
