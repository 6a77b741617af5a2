"""The HTML forms that check a password (sign-in and password change, the portal's and the
admin's): the same ``LOGIN_RATE`` budget as the token endpoint (:class:`LoginThrottle`)."""

from __future__ import annotations

import math
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import Resolver404, ResolverMatch, resolve
from django.views.decorators.debug import sensitive_variables

from clinical.limits.rest_throttles import LoginThrottle

# URL names of the forms that check a password: sign-in and password change, the portal's
# (django.contrib.auth.urls) and the admin's. Matched by name, so a moved prefix is covered.
PASSWORD_FORM_VIEWS = frozenset(
    {"login", "admin:login", "password_change", "admin:password_change"}
)


def _password_form_match(request: HttpRequest) -> ResolverMatch | None:
    """The resolved password-checking view a POST goes to, or None for any other request."""
    if request.method != "POST":
        return None
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    return match if match.view_name in PASSWORD_FORM_VIEWS else None


@sensitive_variables("data")
def refused_login(request: HttpRequest, match: ResolverMatch) -> HttpResponse | None:
    """None when this password attempt is within ``LOGIN_RATE`` (and counts it), else the
    429 answer: the same page (sign-in or password change), what was typed kept but the
    passwords, saying how long to wait. The refused attempt's password is never checked."""
    throttle = LoginThrottle()
    if throttle.allow_request(request, None):
        return None
    seconds = max(1, math.ceil(throttle.wait() or 1))
    message = (
        "Too many password attempts from your address: this one was not checked. "
        f"Try again in {seconds} seconds."
    )
    data = request.POST  # read now: once the method is GET, Django would not parse the body
    request.resolver_match = match
    request.method = "GET"  # the view draws its empty form and checks no password
    try:
        response = match.func(request, *match.args, **match.kwargs)
    finally:
        request.method = "POST"
    context = getattr(response, "context_data", None) or {}
    form = context.get("form")
    if isinstance(response, TemplateResponse) and isinstance(form, forms.Form):
        response.context_data["form"] = _refused_form(type(form), request, data, message)
        response.render()
    else:  # a signed-in reviewer's admin login redirects, and so does a signed-out password
        # change: say it plainly instead
        response = HttpResponse(message, content_type="text/plain; charset=utf-8")
    response.status_code = 429
    response["Retry-After"] = str(seconds)
    return response


def _refused_form(
    form_class: type[forms.Form], request: HttpRequest, data: Any, message: str
) -> forms.Form:
    """The view's own form, bound to what was sent, whose only check is the refusal: none of
    its fields is cleaned, since the old password's own check would test it. The message goes
    beside the old password on a password-change form (its pages show only field errors),
    above the form on a sign-in form."""

    class Refused(form_class):  # type: ignore[valid-type, misc]
        def full_clean(self) -> None:
            self._errors = ErrorDict()
            self.cleaned_data = {}
            field = "old_password" if "old_password" in self.fields else None
            self.add_error(field, forms.ValidationError(message, code="rate_limited"))

    # A sign-in form is built for the request; a password-change form for its user.
    owner = request if issubclass(form_class, AuthenticationForm) else request.user
    return Refused(owner, data=data)


class LoginThrottleMiddleware:
    """``LOGIN_RATE`` at the HTML forms that check a password (:func:`refused_login`). Any
    other request passes straight through, in the handler's own mode (no thread hop under
    daphne)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        match = _password_form_match(request)
        refusal = refused_login(request, match) if match else None
        return self.get_response(request) if refusal is None else refusal

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        match = _password_form_match(request)
        if match:
            refusal = await sync_to_async(refused_login)(request, match)
            if refusal is not None:
                return refusal
        return await self.get_response(request)
