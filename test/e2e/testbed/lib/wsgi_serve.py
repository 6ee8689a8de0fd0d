#!/usr/bin/python3
"""Serve a WSGI application factory with the stdlib's threaded wsgiref server.

Usage: wsgi_serve.py HOST PORT module:factory
Used for Keystone and Placement (Debian runs them under uwsgi/apache; neither is needed here).
"""
import importlib
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def address_string(self):          # no reverse DNS per request
        return self.client_address[0]


def main():
    host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    # The factories parse sys.argv with oslo.config: they must not see our arguments.
    del sys.argv[1:]
    module, factory = target.split(':')
    app = getattr(importlib.import_module(module), factory)()
    print('serving %s on %s:%d' % (target, host, port), flush=True)
    make_server(host, port, app, server_class=ThreadingWSGIServer,
                handler_class=QuietHandler).serve_forever()


if __name__ == '__main__':
    main()
