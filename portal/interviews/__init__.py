"""Interviews: panels and slots across Berlin, Shanghai and the applicant's zone, bookings, calendars, panel notes."""
