"""The presenter's slides: each a title, one chart, one takeaway sentence computed from the data, and the
numbers behind the chart as a table (the chart's text alternative).

Aggregates only. Every count a slide shows goes through :mod:`workbench.present.suppression` first (small
counts hidden, with their complements); a share computed from a hidden count is hidden with it. No name,
email or free text reaches a slide, except an impact answer a coordinator cleared for public use
(:func:`workbench.reports.cleared_quotes`).

    >>> deck = build_slides(con, ["growth", "map"], round_id="2017A")
    >>> deck[1].takeaway
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from workbench import charts, program, reports
from workbench.charts import present as present_charts
from workbench.db import Connection
from workbench.errors import NotFound
from workbench.present.suppression import DEFAULT_THRESHOLD, Suppressed, fewer_than, suppress


@dataclass(frozen=True)
class Slide:
    """One slide: what the screen, the HTML deck and the image exports show."""

    key: str
    title: str
    figure: go.Figure
    takeaway: str
    table: pd.DataFrame  #: the numbers behind the chart, as the public sees them (strings)
    caption: str  #: what the table holds (its <caption>)
    quote: str | None = None  #: a cleared impact answer, with round and country only


@dataclass(frozen=True)
class Context:
    """What every slide builder needs: the database, the deck's round and the suppression threshold."""

    con: Connection
    round_id: str
    round_label: str
    round_seq: int
    threshold: int
    labels: dict[str, str] = field(default_factory=dict)

    def up_to_round(self, frame: pd.DataFrame, seq_column: str) -> pd.DataFrame:
        """Rows of rounds up to and including the deck's round."""
        return frame[frame[seq_column] <= self.round_seq].reset_index(drop=True)


def small_count_threshold(con: Connection) -> int:
    """The program's threshold below which counts are hidden (setting ``small_count_threshold``)."""
    value = program.get_setting(con, "small_count_threshold")
    return DEFAULT_THRESHOLD if value is None else int(value)


def current_round(con: Connection) -> str:
    """The latest round with applications (the one a presenter most likely shows)."""
    summary = reports.round_summary(con)
    with_applications = summary[summary["applications"] > 0]
    if with_applications.empty:
        raise NotFound("The program has no round with applications yet: import applications first.")
    return str(with_applications.iloc[-1]["round_id"])


def context(con: Connection, round_id: str | None = None) -> Context:
    rounds = reports.rounds(con)
    chosen = round_id or current_round(con)
    row = rounds[rounds["round_id"] == chosen]
    if row.empty:
        raise NotFound(f"There is no round {chosen!r}; the rounds are: {', '.join(rounds['round_id'])}.")
    return Context(con, chosen, str(row.iloc[0]["label"]), int(row.iloc[0]["seq"]), small_count_threshold(con),
                   dict(zip(rounds["round_id"], rounds["label"], strict=True)))


def _pct(share: float | None) -> str:
    return "" if share is None or pd.isna(share) else f"{share:.0%}"


def _pair(ctx: Context, part: float, whole: float) -> Suppressed:
    """A count and its complement within a shown total (e.g. used / did not use, of respondents)."""
    part_n = round(float(part))
    return suppress([part_n, max(round(float(whole)) - part_n, 0)], ctx.threshold)


# -- the slides ---------------------------------------------------------------------------------------


def growth(ctx: Context) -> Slide:
    summary = ctx.up_to_round(reports.round_summary(ctx.con), "seq")
    summary = summary[(summary["participants"] > 0) | (summary["round_id"] == ctx.round_id)].reset_index(drop=True)
    hidden = suppress(summary["participants"].tolist(), ctx.threshold, has_total=False)
    chart = summary[[not h for h in hidden.hidden]]
    matched = summary[summary["participants"] > 0]
    first, last = matched.iloc[0], matched.iloc[-1]
    takeaway = (f"From {first['participants']:,} participants in {first['countries']} countries in {first['label']} "
                f"to {last['participants']:,} in {last['countries']} countries in {last['label']}: "
                f"{int(matched['participants'].sum()):,} participations in {len(matched)} rounds.")
    table = pd.DataFrame({"Round": summary["label"], "Participants": hidden.labels(),
                          "Countries": [f"{c:,}" for c in summary["countries"]],
                          "Applications": suppress(summary["applications"].tolist(), ctx.threshold,
                                                   has_total=False).labels()})
    return Slide("growth", SLIDES["growth"].title, charts.growth(chart), takeaway, table,
                 "Participants and countries per round (a round not matched yet shows its applications)")


def applicant_map(ctx: Context) -> Slide:
    countries = reports.applicant_countries(ctx.con, round_id=ctx.round_id)
    countries = countries[countries["applicants"] > 0].reset_index(drop=True)
    hidden = suppress(countries["applicants"].tolist(), ctx.threshold)
    countries["hidden"] = hidden.hidden
    countries["label"] = hidden.labels()
    fig = present_charts.suppressed_map(countries, hidden_label=f"{fewer_than(ctx.threshold)} applicants (not shown)",
                                        title=f"Applicants by country, {ctx.round_label}")
    shown = countries[~countries["hidden"]].sort_values(["applicants", "country"], ascending=[False, True])
    kept_back = countries[countries["hidden"]].sort_values("country")  # hidden ones by name, never by size
    total = int(countries["applicants"].sum())
    top = shown.iloc[0] if len(shown) else None
    takeaway = f"{total:,} applicants from {len(countries)} countries applied to {ctx.round_label}"
    takeaway += (f"; the most from {top['country']} ({top['applicants']:,}, {top['applicants'] / total:.0%})."
                 if top is not None else ".")
    if len(kept_back):
        takeaway += (f" {len(kept_back)} countries with {fewer_than(ctx.threshold)} applicants are drawn without "
                     "their number.")
    ordered = pd.concat([shown, kept_back])
    table = pd.DataFrame({"Country": ordered["country"], "Applicants": ordered["label"]})
    return Slide("map", SLIDES["map"].title, fig, takeaway, table.reset_index(drop=True),
                 f"Applicants per country, {ctx.round_label} ({fewer_than(ctx.threshold)} not shown)")


def _matched_round(ctx: Context) -> tuple[str, str, int]:
    summary = ctx.up_to_round(reports.round_summary(ctx.con), "seq")
    matched = summary[summary["participants"] > 0]
    if matched.empty:
        raise NotFound(f"No round up to {ctx.round_label} has partnerships yet.")
    row = matched.iloc[-1]
    return str(row["round_id"]), str(row["label"]), int(row["partnerships"])


def partnerships(ctx: Context) -> Slide:
    round_id, label, total = _matched_round(ctx)
    flows = reports.partnership_flows(ctx.con, round_id=round_id)
    hidden = suppress(flows["partnerships"].tolist(), ctx.threshold)
    flows["label"] = hidden.labels()
    shown = flows[[not h for h in hidden.hidden]]
    fig = charts.partnership_map(shown.reset_index(drop=True), title=f"Partnerships between countries, {label}")
    takeaway = f"{label}'s {total:,} partnerships joined {len(flows):,} pairs of countries"
    if len(shown):
        top = shown.iloc[0]
        takeaway += (f"; the most between {top['country_a_name']} and {top['country_b_name']} "
                     f"({top['partnerships']:,}).")
    else:
        takeaway += "."
    table = pd.DataFrame({"Countries": shown["country_a_name"] + " – " + shown["country_b_name"],
                          "Partnerships": shown["label"]})
    rest = len(flows) - len(shown)
    if rest:
        table.loc[len(table)] = [f"{rest:,} other pairs of countries",
                                 f"{fewer_than(ctx.threshold)} each (not drawn)"]
    return Slide("partnerships", SLIDES["partnerships"].title, fig, takeaway, table.reset_index(drop=True),
                 f"Partnerships per pair of countries, {label} (pairs with {fewer_than(ctx.threshold)} not shown)")


def topics(ctx: Context) -> Slide:
    frame = ctx.up_to_round(reports.topic_use_by_round(ctx.con), "round_seq")
    frame = frame[frame["respondents"] > 0].reset_index(drop=True)
    if frame.empty:
        raise NotFound(f"No round up to {ctx.round_label} has survey answers about the topics yet.")
    groups = [_pair(ctx, u, n) for u, n in zip(frame["respondents_used_topics"], frame["respondents"], strict=True)]
    frame["share_used_topics"] = [None if g.hidden[0] else s for g, s in
                                  zip(groups, frame["share_used_topics"], strict=True)]
    first, last = frame.iloc[0], frame.iloc[-1]
    takeaway = (f"Use of the fortnightly topics went from {_pct(first['share_used_topics'])} of survey respondents "
                f"in {first['label']} to {_pct(last['share_used_topics'])} in {last['label']}.")
    table = pd.DataFrame({"Round": frame["label"], "Respondents": [f"{n:,}" for n in frame["respondents"]],
                          "Used the topics": [g.label(0) for g in groups],
                          "Share": [_pct(s) for s in frame["share_used_topics"]]})
    return Slide("topics", SLIDES["topics"].title, charts.topic_use(frame), takeaway, table,
                 "Survey respondents who used the fortnightly topics, per round")


def methods(ctx: Context) -> Slide:
    frame = reports.communication_across_rounds(ctx.con)
    groups = [_pair(ctx, u, n) for u, n in zip(frame["partnerships_using"], frame["partnerships_reporting"],
                                               strict=True)]
    frame["share_of_partnerships"] = [None if g.hidden[0] else s for g, s in
                                      zip(groups, frame["share_of_partnerships"], strict=True)]
    ranked = frame.dropna(subset=["share_of_partnerships"]).sort_values("share_of_partnerships", ascending=False)
    first, second = ranked.iloc[0], ranked.iloc[1]
    takeaway = (f"{str(first['method']).capitalize()} is used by {_pct(first['share_of_partnerships'])} of "
                f"partnerships, then {second['method']} by {_pct(second['share_of_partnerships'])}: partners "
                "are often many time zones apart.")
    table = pd.DataFrame({"Method": frame["method"], "Partnerships using it": [g.label(0) for g in groups],
                          "Share of partnerships": [_pct(s) for s in frame["share_of_partnerships"]]})
    reporting = int(frame["partnerships_reporting"].max()) if len(frame) else 0
    return Slide("methods", SLIDES["methods"].title, present_charts.method_shares(frame), takeaway, table,
                 f"Communication methods, all rounds ({reporting:,} partnerships reporting)")


def timezones(ctx: Context) -> Slide:
    frame = reports.communication_by_timezone(ctx.con)
    groups = [_pair(ctx, u, n) for u, n in zip(frame["partnerships_using"], frame["partnerships_reporting"],
                                               strict=True)]
    frame["share_of_partnerships"] = [None if g.hidden[0] else s for g, s in
                                      zip(groups, frame["share_of_partnerships"], strict=True)]
    bands = list(dict.fromkeys(frame.sort_values("band_seq")["distance_band"]))
    video = frame[frame["method"] == "video call"].set_index("distance_band")["share_of_partnerships"]
    email = frame[frame["method"] == "email"]["share_of_partnerships"].dropna()
    if len(bands) >= 2 and bands[0] in video and bands[-1] in video:
        takeaway = (f"Video calls: {_pct(video[bands[0]])} of partnerships {bands[0]} apart, "
                    f"{_pct(video[bands[-1]])} of those {bands[-1]} apart")
        takeaway += f"; email stays at {_pct(email.min())} or more." if len(email) else "."
    else:
        takeaway = "Methods by the time-zone distance between partners."
    table = pd.DataFrame({"Hours apart": frame["distance_band"], "Method": frame["method"],
                          "Partnerships reporting": [f"{int(n):,}" for n in frame["partnerships_reporting"]],
                          "Using it": [g.label(0) for g in groups],
                          "Share": [_pct(s) for s in frame["share_of_partnerships"]]})
    return Slide("timezones", SLIDES["timezones"].title, charts.methods_by_timezone(frame), takeaway, table,
                 "Communication methods by the time-zone distance between partners, all rounds")


def satisfaction(ctx: Context) -> Slide:
    frame = ctx.up_to_round(reports.satisfaction_by_round(ctx.con), "round_seq")
    if frame.empty:
        raise NotFound(f"No round up to {ctx.round_label} has survey answers yet.")
    for prefix, n in (("program", "respondents"), ("partner", "partner_respondents")):
        groups = [_pair(ctx, s * r, r) for s, r in zip(frame[f"{prefix}_satisfied_share"].fillna(0), frame[n],
                                                       strict=True)]
        hide = [any(g.hidden) for g in groups]
        for column in (f"{prefix}_satisfied_share", f"{prefix}_share_low", f"{prefix}_share_high"):
            frame[column] = [None if h else v for h, v in zip(hide, frame[column], strict=True)]
    shares = frame["program_satisfied_share"].dropna()
    last = frame.iloc[-1]
    label = ctx.labels.get(str(last["round_id"]), str(last["round_id"]))
    takeaway = (f"{_pct(shares.min())} to {_pct(shares.max())} of respondents were satisfied with the program in "
                f"every round; in {label}, {_pct(last['program_satisfied_share'])} (95% interval "
                f"{_pct(last['program_share_low'])}–{_pct(last['program_share_high'])}, "
                f"{int(last['respondents']):,} respondents).")

    def interval(low: float | None, high: float | None) -> str:
        return "" if low is None or pd.isna(low) else f"{_pct(low)}–{_pct(high)}"

    table = pd.DataFrame({
        "Round": [ctx.labels.get(r, r) for r in frame["round_id"]],
        "Respondents": [f"{int(n):,}" for n in frame["respondents"]],
        "Satisfied with the program": [_pct(s) for s in frame["program_satisfied_share"]],
        "95% interval": [interval(lo, hi) for lo, hi in zip(frame["program_share_low"], frame["program_share_high"],
                                                            strict=True)],
        "Satisfied with their partner": [_pct(s) for s in frame["partner_satisfied_share"]],
        "95% interval (partner)": [interval(lo, hi) for lo, hi in
                                   zip(frame["partner_share_low"], frame["partner_share_high"], strict=True)],
    })
    return Slide("satisfaction", SLIDES["satisfaction"].title, charts.satisfaction(frame, ctx.labels), takeaway,
                 table, "Share of survey respondents satisfied (4 or 5 of 5), with 95% Wilson intervals")


def returners(ctx: Context) -> Slide:
    frame = ctx.up_to_round(reports.new_and_returning(ctx.con), "seq")
    groups = [suppress([n, r], ctx.threshold) for n, r in
              zip(frame["new_participants"], frame["returning_participants"], strict=True)]
    chart = frame.copy()
    chart["new_participants"] = [None if g.hidden[0] else v for g, v in zip(groups, frame["new_participants"],
                                                                            strict=True)]
    chart["returning_participants"] = [None if g.hidden[1] else v for g, v in
                                       zip(groups, frame["returning_participants"], strict=True)]
    chart["returning_share"] = [0.0 if g.hidden[1] else v for g, v in zip(groups, frame["returning_share"],
                                                                          strict=True)]
    retention = reports.retention(ctx.con)
    seqs = set(frame["seq"])
    nxt = retention[(retention["rounds_later"] == 1) & retention["from_seq"].isin(seqs)
                    & retention["to_seq"].isin(seqs)].set_index("from_round_id")
    back = {r: _pair(ctx, row["took_part"], row["cohort"]) for r, row in nxt.iterrows()}
    back_share = {r: None if g.hidden[0] else nxt.loc[r, "took_part_share"] for r, g in back.items()}
    last = frame.iloc[-1]
    overall = nxt["took_part"].sum() / nxt["cohort"].sum() if len(nxt) and nxt["cohort"].sum() else None
    takeaway = f"In {last['label']}, {_pct(last['returning_share'])} of participants had taken part before"
    takeaway += (f"; {_pct(overall)} of a round's participants took part again in the next round." if overall
                 else ".")
    table = pd.DataFrame({
        "Round": frame["label"], "Participants": [f"{n:,}" for n in frame["participants"]],
        "New": [g.label(0) for g in groups], "Returning": [g.label(1) for g in groups],
        "Returning share": [_pct(None if g.hidden[1] else s) for g, s in zip(groups, frame["returning_share"],
                                                                             strict=True)],
        "Back in the next round": [_pct(back_share.get(r)) for r in frame["round_id"]],
    })
    return Slide("returners", SLIDES["returners"].title, charts.new_and_returning(chart), takeaway, table,
                 "New and returning participants per round, and the share back in the next round")


def impact(ctx: Context) -> Slide:
    frame = reports.impact_overall(ctx.con)
    if frame.empty or not frame["coded_respondents"].max():
        raise NotFound("No impact answer is coded yet: code some on the Impact coding page.")
    groups = [_pair(ctx, n, total) for n, total in zip(frame["respondents"], frame["coded_respondents"], strict=True)]
    frame["share"] = [None if g.hidden[0] else s for g, s in zip(groups, frame["share"], strict=True)]
    ranked = frame.dropna(subset=["share"]).sort_values("share", ascending=False)
    top = ranked.iloc[0]
    takeaway = (f"{top['label']} came first ({_pct(top['share'])} of {int(frame['coded_respondents'].max()):,} coded "
                f"answers; “Rethinking mentoring” found {_pct(top['published_share'])}).")
    close = (frame["share"] - frame["published_share"]).abs().dropna()
    if len(close):
        takeaway += f" No category is more than {close.max() * 100:.1f} points from the published share."
    table = pd.DataFrame({"Impact category": frame["label"], "Respondents": [g.label(0) for g in groups],
                          "Share": [_pct(s) for s in frame["share"]],
                          "“Rethinking mentoring”": [_pct(s) for s in frame["published_share"]]})
    quotes = reports.cleared_quotes(ctx.con)
    quotes = quotes[quotes["round_id"].map(lambda r: r in ctx.labels)]
    quote = None
    if len(quotes):
        q = quotes.iloc[-1]
        quote = f"“{str(q['impact_text']).strip()}” — a participant from {q['country']}, {q['round_label']}"
    return Slide("impact", SLIDES["impact"].title, charts.impact_overall(frame), takeaway, table,
                 "Share of coded impact answers per category, all rounds, against “Rethinking mentoring”", quote)


@dataclass(frozen=True)
class SlideKind:
    title: str
    build: Callable[[Context], Slide]


#: Every slide, in the default order: key -> title and builder.
SLIDES: dict[str, SlideKind] = {
    "growth": SlideKind("Participants and countries per round", growth),
    "map": SlideKind("Where this round's applicants come from", applicant_map),
    "partnerships": SlideKind("Partnerships across borders", partnerships),
    "topics": SlideKind("Use of the fortnightly topics", topics),
    "methods": SlideKind("How partners keep in touch", methods),
    "timezones": SlideKind("Communication and time-zone distance", timezones),
    "satisfaction": SlideKind("Satisfaction, with 95% intervals", satisfaction),
    "returners": SlideKind("Returning participants and retention", returners),
    "impact": SlideKind("What taking part changed", impact),
}


def check_keys(keys: Sequence[str]) -> list[str]:
    """The slide keys, checked: each known, none twice, at least one."""
    unknown = [k for k in keys if k not in SLIDES]
    if unknown:
        raise NotFound(f"Unknown slide {', '.join(map(repr, unknown))}; the slides are: {', '.join(SLIDES)}.")
    if len(set(keys)) != len(keys):
        raise NotFound("A deck lists each slide once; remove the repeated slide.")
    if not keys:
        raise NotFound(f"A deck needs at least one slide; the slides are: {', '.join(SLIDES)}.")
    return list(keys)


def build_slide(ctx: Context, key: str) -> Slide:
    """One slide for the context's round (NotFound, with what to do, where the data is not there yet)."""
    check_keys([key])
    return SLIDES[key].build(ctx)


def build_slides(con: Connection, keys: Sequence[str] | None = None, *, round_id: str | None = None) -> list[Slide]:
    """The slides ``keys`` (default: all) for ``round_id`` (default: the current round)."""
    ctx = context(con, round_id)
    return [build_slide(ctx, key) for key in check_keys(list(keys or SLIDES))]
