"""The referee domain has no tables of its own: a referee is a RefereeInvitation of the application
(portal.applications.models), named by the applicant, and the letter is a Document or text stored on it."""
