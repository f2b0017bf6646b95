"""Who is who in a collection: identities found without labels, written as tables, grids and a summary.

``unreid identities MODEL DIR --out OUT`` embeds a folder of crops, clusters the embeddings
with the label-free settings (:mod:`unreid.identities.clustering_step`), gives every crop an
identity or ``-1`` (unassigned, :mod:`unreid.identities.assignment`) and writes the result
(:mod:`unreid.identities.result_files`); ``--into OUT`` adds new crops to an existing result
without renumbering it (:mod:`unreid.identities.incremental`).
"""

from unreid.identities.agreement import IdentityAgreement, identity_agreement
from unreid.identities.assignment import UNASSIGNED, IdentityAssignment, assign_identities, identity_centroids
from unreid.identities.clustering_step import found_identities

__all__ = [
    "UNASSIGNED",
    "IdentityAgreement",
    "IdentityAssignment",
    "assign_identities",
    "found_identities",
    "identity_agreement",
    "identity_centroids",
]
