"""`GET /calil/library`: the library list, as Calil's API gives it. (Being built.)"""

from django.http import Http404, HttpRequest, HttpResponse


def library(request: HttpRequest) -> HttpResponse:
    raise Http404("not yet")
