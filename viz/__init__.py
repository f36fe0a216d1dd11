"""Arrays in, Plotly figures and HTML out. Imports neither torch nor gradio."""
