"""Widget groups, the page frame and the live chart: what draws charts/ with Streamlit."""
