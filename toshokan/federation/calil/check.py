"""`GET /calil/check`: live availability of ISBNs across library systems, as Calil's API gives it. (Being built.)"""

from django.http import Http404, HttpRequest, HttpResponse


def check(request: HttpRequest) -> HttpResponse:
    raise Http404("not yet")
