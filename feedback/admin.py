from django.contrib import admin

from .models import Feedback


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("message", "project", "name", "source", "issue", "received")
    list_filter = ("source", "project")
    search_fields = ("message", "name", "email", "event_id")
    readonly_fields = [f.name for f in Feedback._meta.fields]
    ordering = ("-received",)
