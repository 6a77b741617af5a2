"""The review form on a session's page. Its rules live in ``clinical.reviews`` (shared with
REST); the form only collects the fields and shows the rules' messages beside them."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from clinical.models import Review
from clinical.reviews import MAX_COMMENT_CHARS

CONDITIONS_LIST_ID = "kb-conditions"


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(choices=Review.Verdict.choices, widget=forms.RadioSelect)
    corrected_icd10 = forms.CharField(
        label="Corrected diagnosis (ICD-10)",
        required=False,
        max_length=16,
        help_text="Only when you disagree: the ICD-10 code of a condition in the knowledge base.",
        widget=forms.TextInput(attrs={"list": CONDITIONS_LIST_ID, "autocomplete": "off"}),
    )
    comment = forms.CharField(
        required=False, max_length=MAX_COMMENT_CHARS, widget=forms.Textarea(attrs={"rows": 4})
    )

    def show_rule_errors(self, error: ValidationError) -> None:
        """Put the errors of ``clinical.reviews`` beside their fields (the rest above the form)."""
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
