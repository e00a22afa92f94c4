from django.contrib import admin

from .models import Deploy, Release, Repository


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ("version", "organization", "date_created", "date_released", "status")
    search_fields = ("version",)
    raw_id_fields = ("organization",)


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "provider", "url")
    raw_id_fields = ("organization",)


@admin.register(Deploy)
class DeployAdmin(admin.ModelAdmin):
    list_display = ("release", "environment", "name", "date_finished")
    raw_id_fields = ("release",)
