"""SIP2 (3M Standard Interchange Protocol 2.00) for self-check machines: codec, server, gateway.

See docs/sip2.md for what is supported and how a kiosk is configured.
"""
