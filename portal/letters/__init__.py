"""The CSC paperwork: letter templates, the bilingual admission and invitation letters, CSC candidates, window."""
