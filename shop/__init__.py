"""Cross-cutting pieces shared by the action server, the retrieval library and the web app."""
