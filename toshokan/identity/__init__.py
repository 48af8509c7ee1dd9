"""Identity: proving who a patron is with the My Number card's public-key certificates (JPKI)."""
