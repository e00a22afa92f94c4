from django.contrib import admin

from .models import Delivery, NotificationRule


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "enabled", "throttle_minutes", "updated"]
    list_filter = ["enabled"]
    search_fields = ["name", "project__slug"]
    raw_id_fields = ["project"]
    filter_horizontal = ["email_members"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created", "rule_name", "issue", "channel", "status", "attempts"]
    list_filter = ["status", "channel", "reason"]
    raw_id_fields = ["rule", "project", "issue", "user"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
