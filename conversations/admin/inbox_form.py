"""The inbox's admin form: a channel's settings (Inbox.config) as fields of their own, the keys
each channel names (registry.setting_fields), with the rest in the JSON box as "other settings";
then the channel's own check of the whole (registry.config_problems), shown on the settings.

A form class is made per channel type, since the fields depend on it: a saved inbox's type, or
the type chosen on the add page (the fields appear once the inbox is saved with its type)."""

from functools import cache

from django import forms

from .. import registry
from ..models import ChannelType
from .hours_fields import HoursFields, hours_initial, hours_read

PREFIX = "setting_"


class InboxForm(forms.ModelForm, HoursFields):
    setting_fields: tuple[registry.SettingField, ...] = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, value in hours_initial(self.instance.business_hours, self.instance.holidays).items():
            self.initial.setdefault(name, value)
        config = dict(self.instance.config or {}) if isinstance(self.instance.config, dict) else {}
        for setting in self.setting_fields:
            self.initial.setdefault(PREFIX + setting.key, config.pop(setting.key, ""))
        if "config" in self.fields and self.setting_fields:
            self.fields["config"].label = "Other settings"
            self.fields["config"].help_text = 'Keys without a field of their own, as JSON: {"key": "value"}.'
            if not self.is_bound:
                self.initial["config"] = config  # the keys without a field of their own

    def clean(self) -> dict:
        cleaned = super().clean()
        if "hours_mon" in self.fields and (hours := hours_read(self)) is not None:
            self.instance.business_hours, self.instance.holidays = hours
        config = cleaned.get("config")
        if isinstance(config, dict) and self.setting_fields:
            config = self._with_setting_fields(config)
            cleaned["config"] = config
        if "config" in cleaned and "channel_type" in cleaned:
            problems = registry.config_problems(cleaned["channel_type"], cleaned["config"])
            before = self.instance.config if isinstance(self.instance.config, dict) else {}
            if not problems and not self.errors:  # well formed: does the provider take them?
                problems = registry.credential_problems(cleaned["channel_type"], cleaned["config"], before)
            for problem in problems:
                self.add_error("config", problem)
        return cleaned

    def _with_setting_fields(self, others: dict) -> dict:
        config = dict(others)
        for setting in self.setting_fields:
            if setting.key in others:
                self.add_error("config", f"{setting.key} has a field of its own above: set it there.")
            value = self.cleaned_data.get(PREFIX + setting.key)
            if value not in (None, "", []):
                config[setting.key] = value
        return config


@cache
def inbox_form_for(channel_type: str | None) -> type[InboxForm]:
    """InboxForm with the settings fields of `channel_type`'s channel (none for an unknown one)."""
    settings = registry.setting_fields(channel_type) if channel_type in ChannelType.values else ()
    declared = {PREFIX + setting.key: _form_field(setting) for setting in settings}
    return type(f"InboxForm_{channel_type}", (InboxForm,), {**declared, "setting_fields": settings})


def setting_field_names(channel_type: str | None) -> list[str]:
    return [PREFIX + setting.key for setting in inbox_form_for(channel_type).setting_fields]


def _form_field(setting: registry.SettingField) -> forms.Field:
    help_text = f"{setting.help} (key {setting.key})" if setting.help else f"Key {setting.key}."
    common = {"label": setting.label, "help_text": help_text, "required": False}
    if setting.number:
        return forms.IntegerField(min_value=1, max_value=65535, **common)
    if setting.many:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in setting.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    if setting.choices:
        return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in setting.choices)], **common)
    widget = forms.PasswordInput(render_value=True) if setting.secret else forms.TextInput(attrs={"size": 60})
    return forms.CharField(strip=True, widget=widget, **common)
