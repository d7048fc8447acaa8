"""Writing Markdown (SPEC §8): the preview of a text, and the people `@` may mention."""
