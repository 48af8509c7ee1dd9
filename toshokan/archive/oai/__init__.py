"""OAI-PMH 2.0: the protocol (protocol.py), what the repository holds (repository.py) and the endpoint (views.py)."""
