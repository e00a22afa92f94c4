from django.contrib import admin

from .models import DigestRecord, NotificationSettings


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "immediate_email", "digest_frequency", "digest_hour", "timezone")
    list_filter = ("digest_frequency", "immediate_email")
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)
    filter_horizontal = ("muted_projects",)


@admin.register(DigestRecord)
class DigestRecordAdmin(admin.ModelAdmin):
    """Operators see here which digests went out, and which failed and why."""

    list_display = (
        "user", "period_start", "period_end", "issue_count", "sent_at", "attempts", "last_error"
    )  # fmt: skip
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__username", "user__email")
    date_hierarchy = "period_end"
    raw_id_fields = ("user",)
