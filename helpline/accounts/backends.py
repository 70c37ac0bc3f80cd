"""Sign-in by email address, case-insensitively."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        email = username or kwargs.get("email")
        if not email or password is None:
            return None
        user_model = get_user_model()
        try:
            user = user_model.objects.get(email__iexact=email.strip())
        except user_model.DoesNotExist:
            # Run the hasher anyway so response time does not reveal which addresses exist.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
