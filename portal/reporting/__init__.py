"""Reporting: the coordinators' lists and exports, PDF dossiers, background exports, the applicant's downloads."""
