"""The legacy completions surface (`POST /v1/completions`): a prompt in, `text_completion` out."""

from pointsman.surfaces.completions.handler import completions

__all__ = ["completions"]
