"""The directory's search is a plain GET form read by `services.DirectoryFilter.from_values` (the applicant's step 5
reads the same three fields); a supervisor's availability form belongs to their dashboard in portal.review."""
