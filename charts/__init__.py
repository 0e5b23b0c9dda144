"""Pure figure builders: numbers in, plotly figure dicts out. Never imports streamlit
(tests/test_pure_figures.py); the widget groups in components/ draw them."""
