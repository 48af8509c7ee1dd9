"""Pure rules of staff sign-in: TOTP codes, recovery codes, lockouts (no Django here)."""
