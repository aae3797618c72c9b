"""Applications into the database: import a file, admit under the per-country cap, decide by hand,
open rounds with the previous round's waitlist carried over.

:func:`import_applications` reads and validates a file with :mod:`workbench.intake`, recognises
returning people by normalised email, offers a name + country near-match with a different email for
confirmation (never merged silently), creates the round if it is missing, admits the new applicants
under the round's per-country cap and writes everything in **one** transaction: a failure leaves the
database as it was. ``dry_run=True`` makes the same report without writing (the Import page's preview).

Admission (domain.md, step 2): a country (more exactly, one side of the program's cross-border rule: a
country, a UN sub-region or an organisation, :func:`cap_side`; no cap under ``none``) may have at most
``country_cap_limit(cap, live applications)`` accepted applicants: the DuckDB macro of
``workbench/migrations/macros.sql`` is the cap's one definition
(``rounds.country_cap``, default 20%; withdrawn applications are not live), and :func:`cap_limit` and
:func:`cap_room` ask the database for it. Within a country the earliest submissions are accepted and
the later ones waitlisted "offered the next round". As more applications arrive the accepted stay
accepted and the cap-waitlisted are accepted, earliest first, while their country has room;
:func:`admit` re-applies the cap to a whole round (after a withdrawal or a change of the cap).
:func:`decide` accepts, waitlists or withdraws one application by hand with the reason recorded
(optimistic versioning, audited). :func:`open_round` creates the next round and carries the previous
round's cap-waitlisted applicants into it; they are decided with the round's first import (they keep
their original submission time, so they come first).

Access (:mod:`workbench.access`): every write takes the signed-in user as ``by`` and audits as them.
Importing and opening a round need ``Action.IMPORT`` (the import's dry run too: its report names known
people); decisions, applying the cap and changing it need ``Action.ADMIT`` (an import applies the cap,
so writing one needs both). Nothing here returns lists of applicants: those are
:func:`workbench.reports.applicant_list`, limited to a country coordinator's countries.

Modules: ``importing`` (the import), ``report`` (what it did), ``admission`` (the cap, decisions by
hand), ``rounds`` (round ids, opening, carry-over), ``store`` (the reads and writes they share).
"""

from __future__ import annotations

from workbench.applications.admission import (
    CAP_REASON_PREFIX,
    CAP_REASON_PREFIXES,
    DEFAULT_CAP,
    AdmissionResult,
    CapReached,
    CapRoom,
    Decision,
    Status,
    admit,
    application_side,
    cap_limit,
    cap_reason,
    cap_room,
    cap_rule,
    cap_side,
    decide,
    is_cap_reason,
    over_cap,
    reapply_after_rule_change,
    set_country_cap,
    side_label,
)
from workbench.applications.importing import import_applications
from workbench.applications.report import ImportReport, NearMatch
from workbench.applications.rounds import RoundOpened, check_round_id, open_round
from workbench.applications.store import OPEN_STATUSES
from workbench.people.comparisons import name_key  # its one home; re-exported for notebooks

__all__ = [
    "CAP_REASON_PREFIX",
    "CAP_REASON_PREFIXES",
    "DEFAULT_CAP",
    "OPEN_STATUSES",
    "AdmissionResult",
    "CapReached",
    "CapRoom",
    "Decision",
    "ImportReport",
    "NearMatch",
    "RoundOpened",
    "Status",
    "admit",
    "application_side",
    "cap_limit",
    "cap_reason",
    "cap_room",
    "cap_rule",
    "cap_side",
    "check_round_id",
    "decide",
    "import_applications",
    "is_cap_reason",
    "name_key",
    "open_round",
    "over_cap",
    "reapply_after_rule_change",
    "set_country_cap",
    "side_label",
]
