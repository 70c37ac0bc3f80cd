"""The ticket board: views, filters, keyset pages, counts and bulk actions. (To be written.)"""

from django.http import HttpResponse


def board(request):
    return HttpResponse(status=501)


bulk = ticket_new = requester_lookup = board
