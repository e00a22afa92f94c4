from django.contrib.auth import get_user_model
from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from projects.models import Project

from . import prefs


@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows a confirm button (mail scanners follow links); POST applies it."""
    try:
        user_id, project_id = prefs.read_unsubscribe_token(token)
    except signing.BadSignature:
        raise Http404("invalid or expired link") from None
    user = get_user_model().objects.filter(pk=user_id).first()
    project = Project.objects.filter(pk=project_id).first() if project_id else None
    if user is None or (project_id and project is None):
        raise Http404("invalid link")
    done = False
    if request.method == "POST":
        settings_obj = prefs.settings_for(user)
        if project is not None:
            settings_obj.muted_projects.add(project)
        else:
            settings_obj.immediate_email = False
            settings_obj.digest_frequency = settings_obj.Frequency.OFF
            settings_obj.save(update_fields=["immediate_email", "digest_frequency"])
        done = True
    return render(request, "digests/unsubscribe.html", {"project": project, "done": done})
