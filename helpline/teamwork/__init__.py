"""Working together: presence on a request, away status, and assignment rules per department."""
