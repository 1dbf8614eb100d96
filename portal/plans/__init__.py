"""The joint research plan: drafted by the applicant once co-supervision is agreed, approved by both supervisors."""
