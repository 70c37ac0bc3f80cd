from helpline.desk.tests.ticket_support import site_settings_row, ticket_fixture  # noqa: F401
from helpline.mail.tests.conftest import smtp_sink  # noqa: F401
