"""Descent Lab: the frame. Page config and navigation only; pages live in app_pages/."""

import streamlit as st

from app_pages import navigation

st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide")
navigation().run()
