"""The Gradio page, one module per tab; each wires the engine (``model``) to figures (``viz``)."""
