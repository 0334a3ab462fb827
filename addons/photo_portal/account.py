"""Portal accounts: sign-up with e-mail verification, sign-in and out,
password reset."""
from trytond.protocols.wrappers import HTTPStatus, exceptions

from trytond.modules.photo_booking.common import is_email

from .book import validate_contact
from .pages import (
    GUEST_PARTY, booking_by_token, check_honeypot, contact_key, require_user,
    send_mail)
from .web import BadInput, check_rate, redirect_to, render, route


def attach_guest_bookings(pool, user):
    "Bookings made as a guest with the account's email join the account."
    Booking = pool.get('photo.booking')
    bookings = Booking.search([
            ('email', '=', user.email),
            ('web_user', '=', None),
            ])
    if bookings:
        Booking.write(bookings, {'web_user': user.id})
    return bookings


@route('/account/signup')
def signup(visit, pool):
    "Prefilled from the guest booking just made (?booking=<its token>)."
    values = {}
    token = visit.request.args.get('booking')
    if token:
        try:
            booking = booking_by_token(pool, token)
        except exceptions.NotFound:
            booking = None
        if booking and not booking.web_user and booking.email:
            values = {
                'name': (booking.client.name
                    if booking.client.name != GUEST_PARTY else ''),
                'email': booking.email,
                'phone': booking.phone or '',
                }
    return render(visit, 'signup.html', values=values, errors={})


@route('/account/signup', methods=['POST'])
def signup_post(visit, pool):
    User = pool.get('web.user')
    Party = pool.get('party.party')
    _ = visit.gettext
    form = visit.request.form
    check_rate(visit, 'signup')
    check_honeypot(visit)
    values, errors = validate_contact(visit, form)
    password = form.get('password') or ''
    if not 8 <= len(password) <= 200:
        errors['password'] = _("The password needs at least 8 characters.")
    if errors:
        return render(visit, 'signup.html', status=HTTPStatus.BAD_REQUEST,
            values=values, errors=errors)
    # Mails one address can be sent, whoever asks.
    check_rate(visit, 'signup_contact', key=contact_key(values['email']))
    # The same answer, and the same work (a password hash, a mail), for a
    # new email and a known one: the page tells nobody who has an account.
    # The new account opens from the link of its mail.
    known = User.search([('email', '=', values['email'])], limit=1)
    if known:
        User.hash_password(password)
        send_mail(visit, known, values['email'], 'mail_signup_exists.txt')
    else:
        languages = pool.get('ir.lang').search(
            [('code', '=', visit.lang)], limit=1)
        party, = Party.create([{
                    'name': values['name'],
                    # Its mails speak the language it signed up in.
                    'lang': languages[0].id if languages else None,
                    'contact_mechanisms': [('create', [
                                {'type': 'email', 'value': values['email']},
                                {'type': 'phone', 'value': values['phone']},
                                ])],
                    }])
        user = User(email=values['email'], party=party)
        user.password = password
        user.save()
        User.validate_email([user])
    return render(visit, 'signup.html', sent=True, values=values, errors={})


@route('/account/verify', readonly=False)
def verify(visit, pool):
    User = pool.get('web.user')
    token = visit.request.args.get('token') or ''
    users = User.validate_email_token([token]) if token else []
    if not users:
        _ = visit.gettext
        raise BadInput(_("This link is not valid or has already been used."))
    for user in users:
        attach_guest_bookings(pool, user)
    # Not logged in by the link: one forwarded by its owner would open
    # their account in someone else's browser.
    return redirect_to('/account/login', {'notice': 'verified'})


@route('/account/verify/resend', methods=['POST'])
def verify_resend(visit, pool):
    "A new validation link for an account whose email is not confirmed."
    require_user(visit)
    check_rate(visit, 'signup')
    user = visit.user
    if user.email_valid:
        return redirect_to('/account')
    pool.get('web.user').validate_email([user])
    return redirect_to('/account', {'notice': 'resent'})


@route('/account/login')
def login(visit, pool):
    return render(visit, 'login.html', email='', error=None)


@route('/account/login', methods=['POST'])
def login_post(visit, pool):
    User = pool.get('web.user')
    _ = visit.gettext
    check_rate(visit, 'login')
    email = (visit.request.form.get('email') or '').strip().lower()[:200]
    password = visit.request.form.get('password') or ''
    user = User.authenticate(email, password, device=visit.device) \
        if email and password else None
    if not user:
        return render(visit, 'login.html', status=HTTPStatus.BAD_REQUEST,
            email=email, error=_("Wrong email or password."))
    visit.login(user.new_session(), device=user.device_token())
    return redirect_to('/account')


@route('/account/logout', methods=['POST'])
def logout(visit, pool):
    Session = pool.get('web.user.session')
    if visit.session_key:
        Session.remove(visit.session_key)
    visit.logout()
    return redirect_to('/')


@route('/account/reset')
def reset(visit, pool):
    return render(visit, 'reset.html', sent=False)


@route('/account/reset', methods=['POST'])
def reset_post(visit, pool):
    User = pool.get('web.user')
    check_rate(visit, 'reset')
    check_honeypot(visit)
    email = (visit.request.form.get('email') or '').strip().lower()[:200]
    if email:
        check_rate(visit, 'reset_contact', key=contact_key(email))
    users = User.search([('email', '=', email)], limit=1) if email else []
    # A new link at each request (see web_user.User.reset_password).
    User.reset_password(users)
    if not users and is_email(email):
        # The same answer, and the same work (a mail), whether the account
        # exists or not: neither the page nor its timing tells.
        send_mail(visit, [], email, 'mail_reset_unknown.txt')
    return render(visit, 'reset.html', sent=True)


@route('/account/reset/confirm')
def reset_confirm(visit, pool):
    args = visit.request.args
    return render(visit, 'reset_confirm.html', email=args.get('email', ''),
        token=args.get('token', ''), error=None)


@route('/account/reset/confirm', methods=['POST'])
def reset_confirm_post(visit, pool):
    User = pool.get('web.user')
    _ = visit.gettext
    check_rate(visit, 'reset_confirm')
    form = visit.request.form
    email = (form.get('email') or '').strip().lower()[:200]
    token = (form.get('token') or '')[:200]
    password = form.get('password') or ''
    error = None
    if not 8 <= len(password) <= 200:
        error = _("The password needs at least 8 characters.")
    elif not email or not token \
            or not User.set_password_token(email, token, password):
        error = _("This link is not valid or has expired. "
            "Ask for a new one.")
    if error:
        return render(visit, 'reset_confirm.html',
            status=HTTPStatus.BAD_REQUEST, email=email, token=token,
            error=error)
    return redirect_to('/account/login', {'notice': 'password'})
