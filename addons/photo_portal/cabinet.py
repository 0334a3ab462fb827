"""The client's cabinet: their bookings with cancel, reschedule and
review, their profile, their data to download, and account deletion."""
import json

from trytond.protocols.wrappers import HTTPStatus, Response
from trytond.transaction import Transaction

from trytond.modules.photo_booking.common import ACTIVE_STATES, utc_now
from trytond.modules.photo_booking.exceptions import SlotTakenError

from .book import (
    Unavailable, booking_query, booking_view, parse_start, picker,
    validate_contact)
from .translation import LANGUAGES
from .pages import GUEST_PARTY, booking_by_token, form_int, money, require_user
from .web import BadInput, redirect_to, render, route

NOTIFICATION_PREFERENCES = ('email_reminders', 'telegram_notifications')


def my_bookings(pool, user):
    Booking = pool.get('photo.booking')
    return Booking.search([
            ('web_user', '=', user.id),
            Booking.portal_cabinet_domain(),
            ], order=[('start', 'ASC')])


def my_booking(visit, pool, token):
    "The signed-in client's booking of token (a 404 page for another's)."
    require_user(visit)
    return booking_by_token(pool, token, visit.user)


def my_active_booking(visit, pool, token, refusal):
    "my_booking while it is active; else a 400 page saying refusal."
    booking = my_booking(visit, pool, token)
    if booking.state not in ACTIVE_STATES:
        raise BadInput(refusal)
    return booking


@route('/account')
def cabinet(visit, pool):
    require_user(visit)
    Review = pool.get('photo.review')
    now = utc_now()
    bookings = my_bookings(pool, visit.user)
    reviewed = {r.booking.id for r in Review.search([
                ('booking', 'in', [b.id for b in bookings])])}
    upcoming = [booking_view(b) for b in bookings
        if b.state in ACTIVE_STATES and b.end >= now]
    past = [booking_view(b) for b in reversed(bookings)
        if not (b.state in ACTIVE_STATES and b.end >= now)]
    return render(visit, 'cabinet.html', upcoming=upcoming, past=past,
        reviewed=reviewed, notice=visit.request.args.get('notice'))


@route('/account/booking/<token>/cancel')
def cancel(visit, pool, token):
    _ = visit.gettext
    booking = my_active_booking(visit, pool, token,
        _("This booking can no longer be cancelled."))
    quote = booking.quote_cancellation(by='client')
    return render(visit, 'cancel.html', booking=booking_view(booking),
        fee=money(quote.fee, booking.currency), has_fee=bool(quote.fee),
        fee_raw=str(quote.fee))


@route('/account/booking/<token>/cancel', methods=['POST'])
def cancel_post(visit, pool, token):
    Booking = pool.get('photo.booking')
    booking = my_booking(visit, pool, token)
    quote = booking.quote_cancellation(by='client')
    shown = visit.request.form.get('fee') or ''
    if shown != str(quote.fee):
        # The fee changed since the page was shown: show it again.
        return redirect_to(f'/account/booking/{booking.token}/cancel')
    with Transaction().set_context(_skip_warnings=True):
        Booking.cancel_by_client(booking)
    return redirect_to('/account', {'notice': 'cancelled'})


@route('/account/booking/<token>/reschedule')
def reschedule(visit, pool, token):
    _ = visit.gettext
    booking = my_active_booking(visit, pool, token,
        _("This booking can no longer be rescheduled."))
    return render(visit, 'reschedule.html', booking=booking_view(booking),
        picker=picker(pool, visit, booking.service, booking.studio,
            [booking.photographer], exclude=[booking],
            tz_name=booking.timezone))


@route('/account/booking/<token>/reschedule', methods=['POST'])
def reschedule_post(visit, pool, token):
    Booking = pool.get('photo.booking')
    _ = visit.gettext
    booking = my_booking(visit, pool, token)
    start = parse_start(visit.request.form.get('start'))
    if not start:
        raise BadInput(_("Please choose a time."))
    try:
        Booking.reschedule(booking, start)
    except SlotTakenError:
        query = booking_query(booking)
        query.update({
                'start': start.strftime('%Y-%m-%dT%H:%M'),
                'action': f'/account/booking/{booking.token}/reschedule',
                'back': f'/account/booking/{booking.token}/reschedule',
                })
        raise Unavailable(_("Sorry, this time has just been taken."), query)
    return redirect_to('/account', {'notice': 'rescheduled'})


@route('/account/booking/<token>/review', methods=['POST'])
def review_post(visit, pool, token):
    Review = pool.get('photo.review')
    _ = visit.gettext
    booking = my_booking(visit, pool, token)
    rating = form_int(visit.request.form, 'rating')
    comment = (visit.request.form.get('comment') or '').strip()
    if rating not in range(1, 6):
        raise BadInput(_("Choose a rating from 1 to 5."))
    if len(comment) > 2000:
        raise BadInput(_("The comment is too long."))
    if Review.search([('booking', '=', booking.id)], limit=1):
        raise BadInput(_("You have already reviewed this shoot."))
    Review.leave(booking, booking.client, rating, comment or None)
    return redirect_to('/account', {'notice': 'reviewed'})


@route('/account/profile')
def profile(visit, pool):
    require_user(visit)
    party = visit.user.party
    return render(visit, 'profile.html', values={
            'name': party.name if party else '',
            'phone': party.phone if party else '',
            'email': visit.user.email,
            'email_reminders': visit.user.email_reminders,
            'telegram_notifications': visit.user.telegram_notifications,
            'language': (party.lang.code if party and party.lang
                and party.lang.code in LANGUAGES else visit.lang),
            }, errors={}, profile_panels=visit.user.portal_profile_panels())


@route('/account/profile', methods=['POST'])
def profile_post(visit, pool):
    require_user(visit)
    ContactMechanism = pool.get('party.contact_mechanism')
    user = visit.user
    form = visit.request.form.copy()
    form['email'] = user.email
    values, errors = validate_contact(visit, form, consent=False)
    # Unticked boxes are not sent.
    preferences = {name: form.get(name) == 'yes'
        for name in NOTIFICATION_PREFERENCES}
    values.update(preferences)
    values['language'] = (form.get('language')
        if form.get('language') in LANGUAGES else visit.lang)
    if errors:
        return render(visit, 'profile.html', status=HTTPStatus.BAD_REQUEST,
            values=values, errors=errors,
            profile_panels=user.portal_profile_panels())
    pool.get('web.user').write([user], preferences)
    party = user.party
    party.name = values['name']
    # Mails and reminders speak the client's language.
    party.lang, = pool.get('ir.lang').search(
        [('code', '=', values['language'])], limit=1)
    party.save()
    visit.set_lang = values['language']
    phones = [c for c in party.contact_mechanisms if c.type == 'phone']
    if phones:
        ContactMechanism.write(phones[:1], {'value': values['phone']})
    else:
        ContactMechanism.create([{
                    'party': party.id, 'type': 'phone',
                    'value': values['phone']}])
    user.portal_profile_save(form)
    return redirect_to('/account', {'notice': 'profile'})


# Not read-only: the export is written to the audit log.
@route('/account/data.json', readonly=False)
def my_data(visit, pool):
    require_user(visit)
    Review = pool.get('photo.review')
    user = visit.user
    pool.get('web.user').personal_data_accessed([user], 'export')
    party = user.party
    bookings = pool.get('photo.booking').search([
            ('web_user', '=', user.id)], order=[('start', 'ASC')])
    def yes_no(value):
        # Words a person reads, not SQLite's 1/0.
        return 'yes' if value else 'no'
    data = {
        'account': {
            'email': user.email, 'email_valid': yes_no(user.email_valid),
            'notifications': {name: yes_no(getattr(user, name))
                for name in NOTIFICATION_PREFERENCES},
            },
        'party': {
            'name': party.name if party else None,
            'contacts': [{'type': c.type, 'value': c.value}
                for c in (party.contact_mechanisms if party else [])],
            },
        'bookings': [{
                'number': b.number, 'state': b.state,
                'service': b.service.name,
                'photographer': b.photographer.name,
                'studio': b.studio.name if b.studio else None,
                'location': b.location,
                'start': b.start.isoformat() + 'Z',
                'end': b.end.isoformat() + 'Z',
                'price': str(b.price), 'currency': b.currency.code,
                'email': b.email, 'phone': b.phone, 'notes': b.notes,
                'cancellation_fee': (str(b.cancellation_fee)
                    if b.cancellation_fee is not None else None),
                } for b in bookings],
        'reviews': [{
                'booking': r.booking.number, 'rating': r.rating,
                'comment': r.comment}
            for r in Review.search([('booking', 'in', [
                                b.id for b in bookings])])],
        }
    response = Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype='application/json')
    response.headers['Content-Disposition'] = (
        'attachment; filename="my-data.json"')
    response.headers['Cache-Control'] = 'no-store'
    return response


@route('/account/delete', methods=['POST'])
def delete_account(visit, pool):
    """Erase the client as the back office's Erase Party does: bookings keep
    prices and fees, not contacts; the account goes with its party."""
    require_user(visit)
    Booking = pool.get('photo.booking')
    User = pool.get('web.user')
    Erase = pool.get('party.erase', type='wizard')
    _ = visit.gettext
    user = visit.user
    if visit.request.form.get('confirm') != 'yes':
        raise BadInput(_("Tick the box to confirm deleting your account."),
            back='/account')
    now = utc_now()
    bookings = Booking.search([('web_user', '=', user.id)])
    if any(b.state in ACTIVE_STATES and b.end >= now for b in bookings):
        raise BadInput(_("Cancel your upcoming bookings before deleting "
                "the account."), back='/account')
    # The account's party and the guest parties of its email's bookings.
    parties = {b.client for b in bookings} | (
        {user.party} if user.party else set())
    Erase.erase_parties([p for p in parties if p.name != GUEST_PARTY])
    # As the erase of its party does (web_user's hook), for an account
    # made in the back office without one.
    User.write([user], {'active': False, 'email': None,
            'password_hash': None})
    visit.logout()
    return redirect_to('/', {'notice': 'deleted'})
