"""Sign-in pages of our own: the throttled password reset (the login itself is Django's,
with django-axes counting its failures)."""

from django.contrib.auth import views as auth_views

from . import throttle

RESET_LIMITED = "Too many password reset requests. Try again later."


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset (it never says whether the email has an account), with a limit per
    address and per email; over it, the same refusal for every email."""

    def form_valid(self, form):
        if not throttle.reset_allowed(self.request, form.cleaned_data["email"]):
            form.add_error(None, RESET_LIMITED)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)
