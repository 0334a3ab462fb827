"""The catalogue: home page, studios (nearest first), photos of people and
places, legal pages."""
from trytond.protocols.wrappers import HTTPStatus, Response, exceptions
from trytond.transaction import Transaction

from trytond.modules.photo_booking import geo
from trytond.modules.photo_booking import media as media_rules

from .pages import form_int, get_record, money, studio_view
from .web import BadInput, render, route

# A few big cities for "nearest studio" by a typed city name.
CITIES = {
    'moscow': (55.7558, 37.6173), 'москва': (55.7558, 37.6173),
    'saint petersburg': (59.9343, 30.3351), 'st petersburg': (59.9343, 30.3351),
    'санкт-петербург': (59.9343, 30.3351), 'петербург': (59.9343, 30.3351),
    'kazan': (55.7961, 49.1064), 'казань': (55.7961, 49.1064),
    'novosibirsk': (55.0084, 82.9357), 'новосибирск': (55.0084, 82.9357),
    'yekaterinburg': (56.8389, 60.6057), 'екатеринбург': (56.8389, 60.6057),
    'nizhny novgorod': (56.2965, 43.9361),
    'нижний новгород': (56.2965, 43.9361),
    'sochi': (43.5855, 39.7231), 'сочи': (43.5855, 39.7231),
    'berlin': (52.52, 13.405), 'берлин': (52.52, 13.405),
    }


def catalogue(pool):
    Service = pool.get('photo.service')
    Photographer = pool.get('photo.photographer')
    Studio = pool.get('photo.studio')
    Review = pool.get('photo.review')
    services = Service.search([])
    photographers = Photographer.search([])
    reviews = {}
    if photographers:
        for review in Review.search([
                    ('photographer', 'in', [p.id for p in photographers]),
                    ('state', '=', 'published'),
                    ], limit=50):
            reviews.setdefault(review.photographer.id, [])
            if len(reviews[review.photographer.id]) < 3:
                reviews[review.photographer.id].append(review)
    return services, photographers, reviews, Studio.search([])


@route('/')
def home(visit, pool):
    services, photographers, reviews, studios = catalogue(pool)
    return render(visit, 'home.html', services=services,
        photographers=photographers, reviews=reviews,
        studios=[studio_view(s) for s in studios], money=money)


MEDIA_MODELS = {
    'photographer': 'photo.photographer',
    'studio': 'photo.studio',
    'room': 'photo.studio.room',
    }
# (database, kind, id, write date, width) -> (bytes, mimetype)
_media_cache = {}


@route('/media/<any(photographer, studio, room):kind>/<int:record_id>')
def media(visit, pool, kind, record_id):
    """The record's photo; ?w= one of media.WIDTHS scales it down for a
    srcset."""
    record = get_record(pool, MEDIA_MODELS[kind], record_id)
    if not record or not record.photo:
        raise exceptions.NotFound()
    width = form_int(visit.request.args, 'w')
    data = bytes(record.photo)
    if width is None:
        body, mimetype = data, media_rules.mimetype(data)
    elif width in media_rules.WIDTHS:
        key = (Transaction().database.name, kind, record.id,
            record.write_date or record.create_date, width)
        if key not in _media_cache:
            if len(_media_cache) > 200:
                _media_cache.clear()
            _media_cache[key] = media_rules.resized(data, width)
        body, mimetype = _media_cache[key]
    else:
        _ = visit.gettext
        raise BadInput(_("This page does not exist."), HTTPStatus.NOT_FOUND)
    response = Response(body, mimetype=mimetype)
    response.headers['Cache-Control'] = 'public, max-age=3600'
    return response


CITY_RADIUS_KM = 30  # a studio this close to a searched city is in it


@route('/studios')
def studios(visit, pool):
    Studio = pool.get('photo.studio')
    _ = visit.gettext
    args = visit.request.args
    origin, message = None, None
    city = (args.get('city') or '').strip()[:100]
    try:
        if args.get('lat') and args.get('lon'):
            origin = (float(args['lat']), float(args['lon']))
            if not (-90 <= origin[0] <= 90 and -180 <= origin[1] <= 180):
                raise ValueError
    except ValueError:
        raise BadInput(_("The location is not valid."))
    records = Studio.search([])
    if not origin and city:
        matching = [s for s in records
            if s.city and s.city.lower() == city.lower()
            and s.latitude is not None]
        if matching:
            origin = (
                sum(float(s.latitude) for s in matching) / len(matching),
                sum(float(s.longitude) for s in matching) / len(matching))
        elif city.lower() in CITIES:
            origin = CITIES[city.lower()]
        else:
            message = _("We do not know this city; all studios are shown.")
    views = [studio_view(s) for s in records]
    if origin:
        for view in views:
            s = view['record']
            view['distance'] = (
                geo.haversine(origin, (float(s.latitude), float(s.longitude)))
                if s.latitude is not None and s.longitude is not None
                else None)
            # Searched by city: no "0.3 km" for the studios in it.
            view['in_city'] = bool(city and not args.get('lat')
                and view['distance'] is not None
                and view['distance'] < CITY_RADIUS_KM)
        views.sort(key=lambda v: (
                v['distance'] is None, v['distance'] or 0))
    return render(visit, 'studios.html', studios=views, city=city,
        origin=origin, message=message,
        from_city=bool(city and origin and not args.get('lat')))


@route('/legal/<code>')
def legal(visit, pool, code):
    page = pool.get('photo.legal.page').get_page(code)
    if not page:
        raise exceptions.NotFound()
    return render(visit, 'legal.html', page=page)
