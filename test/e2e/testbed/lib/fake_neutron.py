#!/usr/bin/python3
"""A stand-in for Neutron's API on 127.0.0.1:9696, just enough for Nova with networks="none".

Nova 26 has no nova-network: even for servers without ports, evacuate/rebuild list ports
(GET /v2.0/ports?device_id=...). Every list answers with an empty collection; writes get 400.
Each request is logged to stdout (log/fake-neutron.log).
"""
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST, PORT = '127.0.0.1', 9696


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def reply(self, code, body=None):
        data = b'' if body is None else json.dumps(body).encode()
        self.send_response(code)
        if body is not None:
            self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def drain(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)

    def do_GET(self):
        path = self.path.split('?', 1)[0].rstrip('/')
        if path == '':
            return self.reply(200, {'versions': [{'id': 'v2.0', 'status': 'CURRENT', 'links': [
                {'rel': 'self', 'href': 'http://%s:%d/v2.0/' % (HOST, PORT)}]}]})
        m = re.fullmatch(r'/v2\.0/([a-z_-]+?)(?:\.json)?', path)
        if m:
            return self.reply(200, {m.group(1).replace('-', '_'): []})
        return self.reply(404, {'NeutronError': {'type': 'NotFound', 'message': 'fake neutron: no ' + path,
                                                 'detail': ''}})

    def do_POST(self):
        self.drain()
        return self.reply(400, {'NeutronError': {'type': 'BadRequest', 'message': 'fake neutron is read-only',
                                                 'detail': ''}})

    do_PUT = do_POST

    def do_DELETE(self):
        self.drain()
        return self.reply(204)

    def log_message(self, fmt, *args):
        sys.stdout.write('%s %s\n' % (self.log_date_time_string(), fmt % args))
        sys.stdout.flush()


if __name__ == '__main__':
    ThreadingHTTPServer((HOST, PORT), Handler).serve_forever()
