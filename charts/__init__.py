"""Pure figure builders: numbers in, plotly figure dicts out. Never imports streamlit
(tests/test_pure_figures.py); the widget groups in components/ draw them.

A page's own figures are ``<page>_figures`` (app_pages/<page>.py); a module several pages share is
named for what it draws (``norm_figures``, ``network_figures``, ``figures``, ``curves``, ...)."""
