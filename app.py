"""MLP Playground: placeholder router until the app lands."""
import streamlit as st

st.set_page_config(page_title="MLP Playground", page_icon="🧠")
st.title("MLP Playground")
