"""Tutor Platform: an LMS and CRM for private tutors and small tutoring schools."""
