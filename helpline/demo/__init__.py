"""Demo organisation for `helpline demo`: people, departments and a few hundred requests."""
