"""What an error report may show: Django's debug page (DEBUG=1) and a logged 500 alike.

Django's ``SafeExceptionReporterFilter`` hides settings, headers and cookies whose names look
secret (``API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE``) in every mode, but POST parameters and
traceback variables only with DEBUG off, and only those a view marked with
``sensitive_post_parameters`` or ``sensitive_variables``. A request refused before its view
(APPEND_SLASH's RuntimeError for a POST without the trailing slash) carries no such marks, so
the debug page showed the POSTed password. This filter is active in every mode, and hides by
name as well as by mark: any POST parameter, traceback variable or dictionary key (a parsed
JSON body) whose name looks secret.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class SecretsHiddenFilter(SafeExceptionReporterFilter):
    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        parameters = super().get_post_parameters(request)
        if not parameters:
            return parameters
        parameters = parameters.copy()
        for name in parameters:
            if self.hidden_settings.search(name):
                parameters[name] = self.cleansed_substitute
        return parameters

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return {name: self.cleanse_setting(name, value) for name, value in variables}.items()
