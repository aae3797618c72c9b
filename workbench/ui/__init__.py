"""The only package code that imports Streamlit: the cached connection, cursors and shared widgets."""
