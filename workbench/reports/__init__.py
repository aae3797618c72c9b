"""One function per dataset a page or a notebook shows: ``f(con, *, filters) -> DataFrame``.

Each reads the views of ``queries/`` (or the tables, for row-level screens) and returns a pandas
frame or a small dataclass; the same call works in a Streamlit page, a notebook or a test. The
functions live in one module per area and are all importable from here.
"""

from workbench.reports.program import (
    ProgramGlance,
    RoundGlance,
    program_glance,
    returning_participants,
    round_glance,
    round_summary,
    rounds,
    satisfaction_by_round,
)

__all__ = [
    "ProgramGlance",
    "RoundGlance",
    "program_glance",
    "returning_participants",
    "round_glance",
    "round_summary",
    "rounds",
    "satisfaction_by_round",
]

# Following a round and outcomes across rounds (workbench.reports.followup, workbench.reports.outcomes).
from workbench.reports.checkins import checkin_response, last_answers, reminded, survey_sources
from workbench.reports.followup import (
    HealthSummary,
    case_checkins,
    communication_across_rounds,
    communication_by_timezone,
    communication_methods,
    coordinator_scope,
    coordinators,
    health_summary,
    intervention_queue,
    partnership_health,
    partnership_members,
    rematch_candidates,
    round_topics,
    stranded_participants,
    topic_discussion,
    topic_use_by_round,
    waitlist,
)
from workbench.reports.outcomes import (
    NAME_STAND_IN,
    CodingProgress,
    OutcomesGlance,
    cleared_quotes,
    coding_progress,
    impact_answers,
    impact_by_round,
    impact_categories,
    impact_overall,
    new_and_returning,
    outcomes_glance,
    quote_scrubber,
    retention,
    retention_matrix,
    satisfaction_by_returning,
    satisfaction_returning_overall,
)

__all__ += ["checkin_response", "last_answers", "reminded", "survey_sources"]
__all__ += [
    "NAME_STAND_IN",
    "CodingProgress",
    "HealthSummary",
    "OutcomesGlance",
    "case_checkins",
    "cleared_quotes",
    "coding_progress",
    "communication_across_rounds",
    "communication_by_timezone",
    "communication_methods",
    "coordinator_scope",
    "coordinators",
    "health_summary",
    "impact_answers",
    "impact_by_round",
    "impact_categories",
    "impact_overall",
    "intervention_queue",
    "new_and_returning",
    "outcomes_glance",
    "partnership_health",
    "partnership_members",
    "quote_scrubber",
    "rematch_candidates",
    "retention",
    "retention_matrix",
    "round_topics",
    "satisfaction_by_returning",
    "satisfaction_returning_overall",
    "stranded_participants",
    "topic_discussion",
    "topic_use_by_round",
    "waitlist",
]

# Applicants of a round: countries, the cap, the list, partnerships by country (workbench.reports.applicants).
from workbench.reports.applicants import (  # noqa: E402
    ApplicantPage,
    RoundAdmission,
    applicant_countries,
    applicant_list,
    country_centroids,
    partnership_flows,
    published_rounds,
    round_admission,
)

__all__ += [
    "ApplicantPage",
    "RoundAdmission",
    "applicant_countries",
    "applicant_list",
    "country_centroids",
    "partnership_flows",
    "published_rounds",
    "round_admission",
]

# The audit log for directors (workbench.reports.audit).
from workbench.reports.audit import audit_actions, audit_log, audit_people  # noqa: E402

__all__ += ["audit_actions", "audit_log", "audit_people"]

# Applications arriving on the participants' form, for the Overview (workbench.reports.arrivals).
from workbench.reports.arrivals import Arrivals, form_arrivals  # noqa: E402

__all__ += ["Arrivals", "form_arrivals"]
