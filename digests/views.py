from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from projects import access
from projects.models import Project

from . import prefs, sending
from .forms import NotificationSettingsForm


# The signed token is the credential, so no CSRF token: mail clients POST here for RFC 8058
# one-click unsubscribe (List-Unsubscribe-Post) without a page or a session.
@access.rule(access.PUBLIC)
@csrf_exempt
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


@access.rule(access.USER)
@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    settings_obj = prefs.settings_for(request.user)
    form = NotificationSettingsForm(request.POST or None, instance=settings_obj, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Notification settings saved.")
        return redirect("digests:settings")
    status = 400 if form.errors else 200
    return render(request, "digests/settings.html", {"form": form}, status=status)


@access.rule(access.USER)  # the caller's own digest
@login_required
@require_http_methods(["POST"])
def digest_now(request):
    """ "Send me a digest now": what is new since the last digest, at once."""
    result = sending.send_now(request.user, timezone.now())
    since = timezone.localtime(result.start).strftime("%Y-%m-%d %H:%M %Z")
    if result.status == "sent":
        messages.success(
            request, f"Digest sent to {result.email}: {result.issues} issue(s) since {since}."
        )
    elif result.status == "empty":
        messages.info(request, f"Nothing new since {since}: no digest sent.")
    elif result.status == "no address":
        messages.error(request, "Your account has no email address to send a digest to.")
    else:
        messages.error(request, "The digest could not be sent now; it will be retried.")
    return redirect("digests:settings")
