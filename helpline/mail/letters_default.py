"""The shipped letters, in English, Norwegian Bokmål and Russian: data, not catalogue strings.

Administrators override any of them per language (and per department) on the letter pages;
deleting the override brings the text below back. Placeholders are those of
`helpline.mail.letters.PLACEHOLDERS`; a test renders every text here through the same checks
as an administrator's template. Paragraphs are one line each: mail clients wrap them.
"""

# ruff: noqa: E501

from .models import LetterKind

# kind -> language -> (subject, body)
DEFAULT_LETTERS: dict[LetterKind, dict[str, tuple[str, str]]] = {
    LetterKind.RECEIVED: {
        "en": (
            "We received your request: {{ subject }}",
            """Hello {{ requester_name }},

We have received your request and given it the number {{ ticket_number }}. We will answer as soon as we can.

You can follow it here: {{ link }}
To add something, simply reply to this message.

Your request:
{{ reply_text }}

{{ signature }}""",
        ),
        "nb": (
            "Vi har mottatt henvendelsen din: {{ subject }}",
            """Hei {{ requester_name }},

vi har mottatt henvendelsen din og gitt den nummeret {{ ticket_number }}. Vi svarer så snart vi kan.

Du kan følge den her: {{ link }}
Vil du legge til noe, svarer du bare på denne e-posten.

Henvendelsen din:
{{ reply_text }}

{{ signature }}""",
        ),
        "ru": (
            "Мы получили ваше обращение: {{ subject }}",
            """Здравствуйте, {{ requester_name }}!

Мы получили ваше обращение и присвоили ему номер {{ ticket_number }}. Мы ответим, как только сможем.

Следить за ним можно здесь: {{ link }}
Чтобы что-то добавить, просто ответьте на это письмо.

Ваше обращение:
{{ reply_text }}

{{ signature }}""",
        ),
    },
    LetterKind.REPLIED: {
        "en": (
            "Re: {{ subject }}",
            """Hello {{ requester_name }},

{{ agent_name }} answered your request {{ ticket_number }}:

{{ reply_text }}

Reply to this message to answer, or open the request: {{ link }}

{{ signature }}""",
        ),
        "nb": (
            "Sv: {{ subject }}",
            """Hei {{ requester_name }},

{{ agent_name }} har svart på henvendelsen din {{ ticket_number }}:

{{ reply_text }}

Svar på denne e-posten for å svare, eller åpne henvendelsen: {{ link }}

{{ signature }}""",
        ),
        "ru": (
            "Re: {{ subject }}",
            """Здравствуйте, {{ requester_name }}!

{{ agent_name }} ответил(а) на ваше обращение {{ ticket_number }}:

{{ reply_text }}

Чтобы ответить, ответьте на это письмо или откройте обращение: {{ link }}

{{ signature }}""",
        ),
    },
    LetterKind.RESOLVED: {
        "en": (
            "Resolved: {{ subject }}",
            """Hello {{ requester_name }},

We believe your request {{ ticket_number }} is solved.

{{ reply_text }}

Please confirm that it is solved, or tell us what is still wrong, on the request's page: {{ link }}
You can also reply to this message: your answer reopens the request.

{{ signature }}""",
        ),
        "nb": (
            "Løst: {{ subject }}",
            """Hei {{ requester_name }},

vi mener henvendelsen din {{ ticket_number }} er løst.

{{ reply_text }}

Bekreft at den er løst, eller fortell oss hva som fortsatt er galt, på siden til henvendelsen: {{ link }}
Du kan også svare på denne e-posten: svaret ditt åpner henvendelsen igjen.

{{ signature }}""",
        ),
        "ru": (
            "Решено: {{ subject }}",
            """Здравствуйте, {{ requester_name }}!

Мы считаем, что ваше обращение {{ ticket_number }} решено.

{{ reply_text }}

Пожалуйста, подтвердите решение или напишите, что ещё не так, на странице обращения: {{ link }}
Можно и просто ответить на это письмо: ваш ответ снова откроет обращение.

{{ signature }}""",
        ),
    },
    LetterKind.CLOSED: {
        "en": (
            "Closed: {{ subject }}",
            """Hello {{ requester_name }},

Your request {{ ticket_number }} is now closed. Thank you for contacting us.

{{ reply_text }}

If you need more help, send us a new message; the closed request stays here: {{ link }}

{{ signature }}""",
        ),
        "nb": (
            "Lukket: {{ subject }}",
            """Hei {{ requester_name }},

henvendelsen din {{ ticket_number }} er nå lukket. Takk for at du kontaktet oss.

{{ reply_text }}

Trenger du mer hjelp, sender du oss en ny henvendelse; den lukkede finner du her: {{ link }}

{{ signature }}""",
        ),
        "ru": (
            "Закрыто: {{ subject }}",
            """Здравствуйте, {{ requester_name }}!

Ваше обращение {{ ticket_number }} закрыто. Спасибо, что обратились к нам.

{{ reply_text }}

Если понадобится помощь, напишите нам снова; закрытое обращение остаётся здесь: {{ link }}

{{ signature }}""",
        ),
    },
    LetterKind.STAFF_NEW: {
        "en": (
            "New request in {{ department }}: {{ subject }}",
            """A new request {{ ticket_number }} from {{ requester_name }} arrived in {{ department }}.

{{ reply_text }}

Open it: {{ link }}""",
        ),
        "nb": (
            "Ny henvendelse i {{ department }}: {{ subject }}",
            """En ny henvendelse {{ ticket_number }} fra {{ requester_name }} har kommet inn i {{ department }}.

{{ reply_text }}

Åpne den: {{ link }}""",
        ),
        "ru": (
            "Новое обращение в «{{ department }}»: {{ subject }}",
            """В отдел «{{ department }}» поступило новое обращение {{ ticket_number }} от {{ requester_name }}.

{{ reply_text }}

Открыть: {{ link }}""",
        ),
    },
    LetterKind.STAFF_ASSIGNED: {
        "en": (
            "Assigned to you: {{ subject }}",
            """{{ agent_name }} made you responsible for the request {{ ticket_number }} from {{ requester_name }} ({{ status }}).

Open it: {{ link }}""",
        ),
        "nb": (
            "Tildelt deg: {{ subject }}",
            """{{ agent_name }} har gjort deg ansvarlig for henvendelsen {{ ticket_number }} fra {{ requester_name }} ({{ status }}).

Åpne den: {{ link }}""",
        ),
        "ru": (
            "Назначено вам: {{ subject }}",
            """{{ agent_name }} назначил(а) вас ответственным за обращение {{ ticket_number }} от {{ requester_name }} ({{ status }}).

Открыть: {{ link }}""",
        ),
    },
    LetterKind.STAFF_REQUESTER_REPLIED: {
        "en": (
            "The requester answered: {{ subject }}",
            """{{ requester_name }} answered the request {{ ticket_number }} ({{ status }}):

{{ reply_text }}

Open it: {{ link }}""",
        ),
        "nb": (
            "Innmelderen har svart: {{ subject }}",
            """{{ requester_name }} har svart på henvendelsen {{ ticket_number }} ({{ status }}):

{{ reply_text }}

Åpne den: {{ link }}""",
        ),
        "ru": (
            "Заявитель ответил: {{ subject }}",
            """{{ requester_name }} ответил(а) на обращение {{ ticket_number }} ({{ status }}):

{{ reply_text }}

Открыть: {{ link }}""",
        ),
    },
    LetterKind.STAFF_TRANSFERRED: {
        "en": (
            "Transferred to {{ department }}: {{ subject }}",
            """{{ agent_name }} transferred the request {{ ticket_number }} from {{ requester_name }} to {{ department }}.

{{ reply_text }}

Open it: {{ link }}""",
        ),
        "nb": (
            "Overført til {{ department }}: {{ subject }}",
            """{{ agent_name }} har overført henvendelsen {{ ticket_number }} fra {{ requester_name }} til {{ department }}.

{{ reply_text }}

Åpne den: {{ link }}""",
        ),
        "ru": (
            "Передано в «{{ department }}»: {{ subject }}",
            """{{ agent_name }} передал(а) обращение {{ ticket_number }} от {{ requester_name }} в отдел «{{ department }}».

{{ reply_text }}

Открыть: {{ link }}""",
        ),
    },
    LetterKind.STAFF_ESCALATED: {
        "en": (
            "Escalated: {{ subject }}",
            """{{ agent_name }} escalated the request {{ ticket_number }} from {{ requester_name }} to the next line of support.

{{ reply_text }}

Open it: {{ link }}""",
        ),
        "nb": (
            "Eskalert: {{ subject }}",
            """{{ agent_name }} har eskalert henvendelsen {{ ticket_number }} fra {{ requester_name }} til neste støttelinje.

{{ reply_text }}

Åpne den: {{ link }}""",
        ),
        "ru": (
            "Эскалировано: {{ subject }}",
            """{{ agent_name }} передал(а) обращение {{ ticket_number }} от {{ requester_name }} на следующую линию поддержки.

{{ reply_text }}

Открыть: {{ link }}""",
        ),
    },
    LetterKind.STAFF_MENTIONED: {
        "en": (
            "You were mentioned: {{ subject }}",
            """{{ agent_name }} mentioned you in an internal note on the request {{ ticket_number }} from {{ requester_name }}.

Open it: {{ link }}""",
        ),
        "nb": (
            "Du ble nevnt: {{ subject }}",
            """{{ agent_name }} nevnte deg i et internt notat på henvendelsen {{ ticket_number }} fra {{ requester_name }}.

Åpne den: {{ link }}""",
        ),
        "ru": (
            "Вас упомянули: {{ subject }}",
            """{{ agent_name }} упомянул(а) вас во внутренней заметке к обращению {{ ticket_number }} от {{ requester_name }}.

Открыть: {{ link }}""",
        ),
    },
    LetterKind.STAFF_MESSAGE: {
        "en": (
            "Internal mail: {{ subject }}",
            """{{ agent_name }} wrote to you in {{ desk_name }}.

Read it: {{ link }}""",
        ),
        "nb": (
            "Intern melding: {{ subject }}",
            """{{ agent_name }} har skrevet til deg i {{ desk_name }}.

Les den: {{ link }}""",
        ),
        "ru": (
            "Внутреннее сообщение: {{ subject }}",
            """{{ agent_name }} написал(а) вам в {{ desk_name }}.

Прочитать: {{ link }}""",
        ),
    },
}
