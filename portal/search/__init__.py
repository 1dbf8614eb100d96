"""The coordinators' one search box: applications of all rounds, people and referees."""
