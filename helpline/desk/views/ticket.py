"""The ticket page and its actions. (To be written.)"""

from django.http import HttpResponse


def detail(request, pk, **kwargs):
    return HttpResponse(status=501)


reply = note = fields = take = escalate = hand_to_supervisor = transfer = merge = link = detail
unlink = watch = tags = delete = restore = purge = attachment = detail
