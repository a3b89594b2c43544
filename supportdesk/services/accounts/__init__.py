"""Accounts: sign-in, users, password reset, two-factor login and API tokens."""
