"""Pure rules of passkeys: the relying party a deployment names, and what a passkey may be called."""
