from django.contrib import admin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "scopes", "created", "last_used", "revoked")
    readonly_fields = ("prefix", "hashed", "created", "last_used")
    search_fields = ("name", "prefix", "user__username")
