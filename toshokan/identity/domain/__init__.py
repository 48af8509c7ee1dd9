"""Pure rules of the identity context: no Django, no clock, no network."""
