from django.contrib import admin

from .models import CheckIn, Monitor


@admin.register(Monitor)
class MonitorAdmin(admin.ModelAdmin):
    list_display = ("slug", "project", "schedule_type", "last_status", "last_checkin", "muted")
    list_filter = ("last_status", "muted", "project")
    search_fields = ("slug", "name")
    raw_id_fields = ("project", "issue")


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ("monitor", "status", "received", "duration", "environment")
    list_filter = ("status",)
    readonly_fields = [f.name for f in CheckIn._meta.fields]
    list_select_related = ("monitor",)
    ordering = ("-received",)
