"""Ingest of untrusted images into the archive: toshokan.archive.ingest.safety checks and decodes them;
toshokan.archive.services.ingest_image stores them and builds their tile pyramids."""
