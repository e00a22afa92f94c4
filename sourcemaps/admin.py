from django.contrib import admin

from .models import ArtifactBundle, ArtifactFile


@admin.register(ArtifactBundle)
class ArtifactBundleAdmin(admin.ModelAdmin):
    list_display = (
        "bundle_id",
        "organization",
        "state",
        "release",
        "dist",
        "file_count",
        "created",
    )
    list_filter = ("state", "kind")
    search_fields = ("bundle_id", "checksum", "release")


@admin.register(ArtifactFile)
class ArtifactFileAdmin(admin.ModelAdmin):
    list_display = ("url", "type", "debug_id", "release", "dist", "size", "created")
    list_filter = ("type",)
    search_fields = ("url", "debug_id", "release", "sha1")
