"""The learned difficulty router: how likely each model is to answer a prompt well, in under a
millisecond, from a small artifact trained offline (see docs/routing.md)."""
