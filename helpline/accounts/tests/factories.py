"""Factories for people, organisations and departments."""

import factory
from allauth.account.models import EmailAddress

from helpline.accounts.models import Department, DepartmentMembership, Organisation, Role, User


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.REQUESTER
    password = factory.django.Password("secret-pass-123")

    @factory.post_generation
    def email_verified(self, create, extracted, **kwargs):
        """The primary address row; proved unless `email_verified=False` is passed."""
        if create:
            EmailAddress.objects.create(
                user=self, email=self.email, primary=True, verified=extracted is not False
            )


class StaffFactory(UserFactory):
    role = Role.AGENT
    support_line = 1


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Department {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DepartmentMembership

    user = factory.SubFactory(StaffFactory)
    department = factory.SubFactory(DepartmentFactory)
