from django.contrib import admin

from .models import Membership, Organization, Project, ProjectKey


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


class ProjectKeyInline(admin.TabularInline):
    model = ProjectKey
    extra = 0
    readonly_fields = ("public_key", "secret_key", "created", "dsn")

    @admin.display(description="DSN")
    def dsn(self, obj):
        return obj.dsn() if obj.pk else ""


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "slug", "platform", "created")
    list_filter = ("organization",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ProjectKeyInline]
