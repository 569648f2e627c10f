"""Documents from a case: the arbitration application, the labour-inspection complaint, the
union's 一函两书 and an evidence checklist with the case's deadlines.

:func:`compose` builds a :class:`~knowledge.documents.content.Document` (plain blocks) from a
case's facts and the knowledge base; :mod:`knowledge.documents.docx_file` and
:mod:`knowledge.documents.pdf_file` write it as an editable Word file and a printable PDF.
The words and the claims per topic live in ``knowledge/data/documents.yml``.
"""
from knowledge.documents.content import CaseFacts, Document, Parties, available_kinds, compose

__all__ = ["CaseFacts", "Document", "Parties", "available_kinds", "compose"]
