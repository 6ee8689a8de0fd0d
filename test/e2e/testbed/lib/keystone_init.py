#!/usr/bin/python3
"""Idempotently create the testbed's Keystone content; prints {"admin": <project id>, "demo": ...}.

Passwords come from the environment (never argv): TB_ADMIN_PASS, TB_DEMO_PASS, TB_SERVICE_PASS.
Usage: keystone_init.py KEYSTONE_V3_URL REGION
  roles admin/member/reader/service; projects service, demo;
  service users nova/placement/glance/neutron (admin+service in project service);
  user demo (member+reader in project demo); catalog entries compute/placement/image/network.
"""
import json
import os
import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

ENDPOINTS = {
    'nova': ('compute', 'http://127.0.0.1:8774/v2.1'),
    'placement': ('placement', 'http://127.0.0.1:8778'),
    'glance': ('image', 'http://127.0.0.1:9292'),
    'neutron': ('network', 'http://127.0.0.1:9696'),
}


def main():
    url, region = sys.argv[1], sys.argv[2]
    admin_pass, demo_pass, svc_pass = (os.environ[k] for k in ('TB_ADMIN_PASS', 'TB_DEMO_PASS', 'TB_SERVICE_PASS'))
    sess = session.Session(auth=v3.Password(auth_url=url, username='admin', password=admin_pass,
                                            project_name='admin', user_domain_id='default',
                                            project_domain_id='default'))
    ks = client.Client(session=sess, region_name=region)

    def first(items):
        return items[0] if items else None

    def role(name):
        return first(ks.roles.list(name=name)) or ks.roles.create(name)

    def project(name):
        return first(ks.projects.list(name=name, domain='default')) or ks.projects.create(name, 'default')

    def user(name, password, proj):
        u = first(ks.users.list(name=name, domain='default'))
        if u is None:
            return ks.users.create(name, domain='default', password=password, default_project=proj)
        return ks.users.update(u, password=password)   # keep the documented password in force

    admin_r, member_r, reader_r, service_r = (role(n) for n in ('admin', 'member', 'reader', 'service'))
    service_p, demo_p, admin_p = project('service'), project('demo'), project('admin')
    for name in ENDPOINTS:
        u = user(name, svc_pass, service_p)
        for r in (admin_r, service_r):
            ks.roles.grant(r, user=u, project=service_p)      # PUT: idempotent
    demo = user('demo', demo_pass, demo_p)
    for r in (member_r, reader_r):
        ks.roles.grant(r, user=demo, project=demo_p)
    for name, (stype, endpoint) in ENDPOINTS.items():
        svc = first(ks.services.list(type=stype)) or ks.services.create(name, stype)
        have = {e.interface for e in ks.endpoints.list(service=svc)}
        for iface in ('public', 'internal', 'admin'):
            if iface not in have:
                ks.endpoints.create(svc, endpoint, interface=iface, region=region)
    print(json.dumps({'admin': admin_p.id, 'demo': demo_p.id}))


if __name__ == '__main__':
    main()
