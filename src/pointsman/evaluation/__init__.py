"""Offline evaluation of routing policies on recorded outcomes (`pointsman eval`); calls no model."""
