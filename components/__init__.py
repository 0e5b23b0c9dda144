"""Numbers in, figures and widgets out. The only package besides app_pages that imports streamlit."""
