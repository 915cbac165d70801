from django.http import HttpRequest

from tocnet.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view behind ``login_required`` gets: ``request.user`` is a signed-in User.

    For type checking only (Django passes its own HttpRequest): annotate such views with it
    instead of casting ``request.user`` in each.
    """

    user: User
