"""The service layer: every transaction begins and ends here.

Views (:mod:`web`) and commands (:mod:`ownervote.commands`) call services and
translate what they return or raise; they never import storage modules.  Services
call the pure core (``voting``, ``identity``, ``ledger``) and storage
(``*.store``), and own each transaction with the unit of work
(:func:`ownervote.services.unit_of_work.writing`).
"""
