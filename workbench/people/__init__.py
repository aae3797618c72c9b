"""People across rounds: who is who when addresses change.

``linking`` recognises an import's applications as known people (splink's Fellegi–Sunter model with
term-frequency adjustments, trained on the program's own rounds by ``training``, with the reasons of every
candidate: :mod:`workbench.people.model`); ``comparisons`` holds what the model compares and how it blocks.
"""

from workbench.people.linking import decide, link_applications
from workbench.people.model import Candidate, Linked, LinkResult, Review
from workbench.people.training import Trained, stored_model, thresholds, train, train_and_store

__all__ = [
    "Candidate", "LinkResult", "Linked", "Review", "Trained", "decide", "link_applications", "stored_model",
    "thresholds", "train", "train_and_store",
]
