"The OpenAPI document matches the registered routes and is valid."
import re
import unittest

from openapi_spec_validator import validate

from trytond.wsgi import app

from trytond.modules.photo_booking import routes  # noqa: F401 (registers)
from trytond.modules.photo_booking.openapi import SERVER, document

PREFIX = '/<database_name>/photo_booking/api/v1'
IGNORED_METHODS = {'HEAD', 'OPTIONS'}


def registered_routes():
    "{OpenAPI path: {methods}} of the rules under the API's prefix."
    result = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + '/'):
            continue
        path = re.sub(
            r'<(?:[^:<>]+:)?([^<>]+)>', r'{\1}', rule.rule[len(PREFIX):])
        result.setdefault(path, set()).update(
            m.lower() for m in rule.methods - IGNORED_METHODS)
    return result


def documented_routes(doc):
    return {path: set(item) for path, item in doc['paths'].items()}


class OpenAPITestCase(unittest.TestCase):
    "OpenAPI document"

    def test_routes_documented(self):
        "Every API route is documented with its methods, and only those"
        registered = registered_routes()
        self.assertIn('/holds', registered)
        self.assertEqual(documented_routes(document()), registered)

    def test_upstream_describes_only_its_own(self):
        "What downstream modules add to a booking is theirs to describe"
        booking = document()['components']['schemas']['Booking']
        self.assertNotIn('payment', booking['properties'])
        self.assertNotIn('/devices', document()['paths'])
        more = {'servers': [{'url': '/demo/photo_other/api/v1'}],
            'get': {'responses': {'204': {'description': "Done"}}}}
        extended = document(booking_extras={'extra': {'type': 'string'}},
            paths={'/more': more})
        self.assertIn('extra', extended['components']['schemas']['Booking'][
                'properties'])
        self.assertEqual(extended['paths']['/more'], more)
        self.assertNotIn('/more', document()['paths'])
        validate(extended)

    def test_valid_openapi_3(self):
        "The document is structurally valid OpenAPI 3.0"
        doc = document()
        self.assertTrue(doc['openapi'].startswith('3.0.'))
        validate(doc)

    def test_valid_with_server(self):
        "The document served for a database is valid too"
        doc = document('/demo/photo_booking/api/v1')
        self.assertEqual(
            doc['servers'], [{'url': '/demo/photo_booking/api/v1'}])
        validate(doc)

    def test_server_template(self):
        "The default server URL is the prefix templated on the database"
        self.assertEqual(
            SERVER, PREFIX.replace('<database_name>', '{database_name}'))
        self.assertEqual(document()['servers'][0]['url'], SERVER)

    def test_path_parameters(self):
        "Each templated path declares its parameters"
        doc = document()
        parameters = doc['components']['parameters']
        for path, item in doc['paths'].items():
            names = set(re.findall(r'{([^}]+)}', path))
            for method, operation in item.items():
                with self.subTest(path=path, method=method):
                    declared = set()
                    for parameter in operation.get('parameters', []):
                        if '$ref' in parameter:
                            parameter = parameters[
                                parameter['$ref'].rsplit('/', 1)[1]]
                        if parameter['in'] == 'path':
                            declared.add(parameter['name'])
                    self.assertEqual(declared, names)

    def test_operation_ids_unique(self):
        "Operation ids are unique, for generated clients"
        ids = [op['operationId'] for item in document()['paths'].values()
            for op in item.values()]
        self.assertEqual(len(ids), len(set(ids)))
