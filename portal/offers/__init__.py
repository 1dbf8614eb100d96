"""Offers of a place: the admitted applicant accepts or declines by the round's deadline, the coordinators follow the
answers and offer a freed place to the next on the waiting list; the next-steps checklist per round."""
