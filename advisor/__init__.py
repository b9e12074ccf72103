"""imatinib-advisor: decision support for imatinib toxicity in GIST.

Recommendations are decision support for a clinician, never orders.
"""

__version__ = "0.1.0"

DISCLAIMER = (
    "Decision support for a clinician, not an order: check every recommendation "
    "against the patient in front of you."
)
