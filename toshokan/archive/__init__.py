"""The digital archive: publishing the collection to aggregators (OAI-PMH) and, to come, archive items."""
