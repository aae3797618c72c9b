"""Present: live, anonymous slides for a conference screen (aggregates only, small counts hidden).

Full width, no sidebar, large type, a light and a dark theme. "Previous"/"Next" (or the left and right
arrow keys) move between slides; the slide refreshes from the database on a timer, and can advance on its
own. Signed in, each slide's chart is made as PNG or SVG (one export at a time in the server, the library
decides: :mod:`workbench.present.images`); the whole deck downloads as one HTML file that works offline.
"""

import html
import time

import streamlit as st

from workbench import charts, present, program, reports
from workbench.access import Action, may
from workbench.charts.present import THEMES, themed
from workbench.errors import WorkbenchError
from workbench.present import deck as decks
from workbench.present import images
from workbench.present import slides as slide_list
from workbench.ui import auth
from workbench.ui.connection import cursor
from workbench.ui.feedback import reporting_errors, saved, show_feedback
from workbench.ui.widgets import html_text, md_text

#: Seconds between refreshes of the slide from the database when it does not advance on its own.
REFRESH_SECONDS = 30
ADVANCE_CHOICES = {"Off": 0, "every 10 s": 10, "every 20 s": 20, "every 30 s": 30, "every 60 s": 60}
INDEX, THEME, DECK, ROUND, SLIDES, LAST = ("present_index", "present_theme", "present_deck", "present_round",
                                            "present_slides", "present_last_advance")
IMAGE = "present_image"  # the chart image made last: (slide key, format, theme, file name, bytes)

con = cursor()
user = auth.signed_in_user(con)
if user is None and not present.is_published(con):
    auth.current_user(con, Action.PRESENT)  # stops with "Sign in to use the workbench."
if user is not None:
    auth.current_user(con, Action.PRESENT)

theme = "dark" if st.session_state.get(THEME) else "light"
colours = THEMES[theme]
# The sidebar and the app header are hidden on this screen only; no font is fetched (system fonts).
st.html(f"""<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header[data-testid="stHeader"] {{ display: none !important; }}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{ background: {colours['background']}; }}
.stApp [data-testid="stMarkdownContainer"], .stApp p, .stApp h1, .stApp h2, .stApp h3, .stApp label, .stApp summary,
.stApp [data-testid="stCaptionContainer"], .stApp table, .stApp th, .stApp td {{ color: {colours['text']}; }}
.stApp table, .stApp th, .stApp td {{ background: {colours['background']}; border-color: {colours['grid']}; }}
.stApp button, .stApp [data-baseweb="select"] > div {{ background: {colours['background']};
  color: {colours['text']}; border-color: {colours['muted']}; }}
.stApp button [data-testid="stMarkdownContainer"], .stApp button p, .stApp [data-baseweb="select"] * {{
  color: {colours['text']}; }}
.stApp [data-testid="stExpander"] details, .stApp [data-testid="stExpander"] summary {{
  background: {colours['background']}; border-color: {colours['muted']}; }}
.stApp h1 {{ font-size: 3rem; line-height: 1.15; }}
.stApp p.wb-takeaway {{ font-size: 1.9rem; line-height: 1.35; margin: .5rem 0; }}
.stApp blockquote.wb-quote {{ font-size: 1.4rem; border-left: 4px solid {colours['muted']}; padding-left: 1rem; }}
.stApp p.wb-position {{ font-size: 1.2rem; margin: 0; }}
.stApp .block-container {{ max-width: 100%; padding-top: 1.5rem; }}
</style>""")
show_feedback()

deck_list = decks.decks(con)
rounds = reports.rounds(con)
labels = dict(zip(rounds["round_id"], rounds["label"], strict=True))


def _load_deck() -> None:
    chosen = deck_list.get(st.session_state.get(DECK, decks.ALL_SLIDES.name), decks.ALL_SLIDES)
    st.session_state[SLIDES] = list(chosen.slides)
    st.session_state[ROUND] = chosen.round_id or slide_list.current_round(con)
    st.session_state[INDEX] = 0


if SLIDES not in st.session_state or ROUND not in st.session_state:
    _load_deck()

with st.expander("Deck, round and settings"):
    st.selectbox("Deck", list(deck_list), key=DECK, on_change=_load_deck)
    st.multiselect("Slides, in the order shown", list(slide_list.SLIDES), key=SLIDES,
                   format_func=lambda k: slide_list.SLIDES[k].title)
    st.selectbox("Round", list(rounds["round_id"]), key=ROUND, format_func=lambda r: labels.get(r, r))
    if decks.may_edit_decks(user):  # directors, coordinators, presenters (the library checks it)
        name = st.text_input("Save as deck", placeholder="e.g. IFLA 2016 keynote")
        if st.button("Save deck"):
            with reporting_errors():
                saved_deck = decks.save_deck(con, name, st.session_state[SLIDES], st.session_state[ROUND], by=user)
                saved(con, f"Saved the deck “{md_text(saved_deck.name)}” ({len(saved_deck.slides)} slides).")
    if user is not None and may(user, Action.SETTINGS):
        published = present.is_published(con)
        if st.toggle("Open this page without sign-in (published)", value=published) != published:
            with reporting_errors():
                program.set_setting(con, "present_published", not published, by=user)
                saved(con, "The Present page is now "
                      + ("published." if not published else "for signed-in people only."))
    chosen_round, chosen_slides = st.session_state[ROUND], list(st.session_state[SLIDES]) or None
    deck_title = f"{st.session_state.get(DECK) or decks.ALL_SLIDES.name} · {labels.get(chosen_round)}"

    def _deck_file() -> bytes:  # runs on its own thread when clicked: its own cursor, no session state
        own = con.cursor()
        try:
            built = slide_list.build_slides(own, chosen_slides, round_id=chosen_round)
        finally:
            own.close()
        return decks.deck_html(built, title=deck_title, theme=theme).encode("utf-8")

    st.download_button("Download the deck (HTML, works offline)", key="deck_html", mime="text/html",
                       file_name=f"deck-{chosen_round}.html", data=_deck_file, on_click="ignore")
    if user is not None and st.button("Sign out"):
        auth.sign_out_everywhere()

keys = st.session_state[SLIDES] or list(slide_list.SLIDES)
controls = st.columns([1, 1, 2, 2])
controls[2].toggle("Dark theme", key=THEME)
advance = ADVANCE_CHOICES[controls[3].selectbox("Advance", list(ADVANCE_CHOICES), key="present_advance")]
map_config = charts.map_config(str(st.get_option("server.baseUrlPath") or ""))


def _move(step: int) -> None:
    st.session_state[INDEX] = (st.session_state.get(INDEX, 0) + step) % len(keys)
    st.session_state[LAST] = time.monotonic()


controls[0].button("Previous", key="previous", on_click=_move, args=(-1,), shortcut="Left", width="stretch")
controls[1].button("Next", key="next", on_click=_move, args=(1,), shortcut="Right", width="stretch")


@st.fragment(run_every=advance or REFRESH_SECONDS)
def show_slide() -> None:
    """The current slide, rebuilt from the database on every run (live refresh)."""
    if advance and time.monotonic() - st.session_state.get(LAST, time.monotonic()) >= advance - 0.5:
        _move(1)
    st.session_state.setdefault(LAST, time.monotonic())
    index = st.session_state.get(INDEX, 0) % len(keys)
    live = cursor()
    try:
        ctx = slide_list.context(live, st.session_state[ROUND])
        slide = slide_list.build_slide(ctx, keys[index])
    except WorkbenchError as exc:
        st.title(slide_list.SLIDES[keys[index]].title)
        st.info(str(exc))
        return
    st.html(f'<p class="wb-position">Slide {index + 1} of {len(keys)} · {html.escape(ctx.round_label)}</p>')
    st.title(slide.title)
    st.plotly_chart(themed(slide.figure, theme), width="stretch", config=map_config, key="slide_chart")
    st.markdown(f'<p class="wb-takeaway">{html_text(slide.takeaway)}</p>', unsafe_allow_html=True)
    if slide.quote:  # a participant's words: text, never markup
        st.markdown(f'<blockquote class="wb-quote">{html_text(slide.quote)}</blockquote>', unsafe_allow_html=True)
    with st.expander("The numbers behind the chart"):
        st.caption(slide.caption)
        st.table(slide.table.set_index(slide.table.columns[0]))
    if user is None:  # published: the public sees the slides; chart images (a browser each) need sign-in
        return
    buttons = st.columns(6)
    for column, fmt in zip(buttons, images.FORMATS, strict=False):
        if column.button(f"Chart as {fmt.upper()}", key=f"make_{fmt}"):
            with reporting_errors(), st.spinner(f"Drawing the chart as {fmt.upper()}…"):
                data = images.render([slide], fmt, theme=theme, by=user)[0]  # one at a time; busy: try again
                st.session_state[IMAGE] = (slide.key, fmt, theme, f"{index + 1:02d}-{slide.key}.{fmt}", data)
    made = st.session_state.get(IMAGE)
    if made and made[:3] in {(slide.key, fmt, theme) for fmt in images.FORMATS}:
        _, fmt, _, file_name, data = made
        buttons[2].download_button(f"Download {file_name}", data, file_name=file_name, key="download_image",
                                   mime="image/png" if fmt == "png" else "image/svg+xml", on_click="ignore")


show_slide()
if user is None:
    st.markdown("[Sign in](sign-in) · coordinators' screens need an account.")
