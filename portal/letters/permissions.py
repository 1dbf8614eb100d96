"""The CSC pages and letters are the coordinators' (the role decorator says so); no object rule beyond it."""
