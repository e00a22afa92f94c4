from django.contrib import admin

from .models import Event, FailedPayload, Issue


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ("title", "project", "level", "status", "times_seen", "last_seen", "regressed")
    list_filter = ("status", "level", "project")
    search_fields = ("title", "culprit")
    readonly_fields = [f.name for f in Issue._meta.fields]
    ordering = ("-last_seen",)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "issue", "level", "timestamp", "release", "environment")
    list_filter = ("level", "project")
    search_fields = ("event_id",)
    readonly_fields = [f.name for f in Event._meta.fields]
    list_select_related = ("issue",)
    ordering = ("-timestamp",)


@admin.register(FailedPayload)
class FailedPayloadAdmin(admin.ModelAdmin):
    list_display = ("id", "project_id", "received", "reason")
    readonly_fields = ("project_id", "received", "reason")
    exclude = ("meta", "body")
