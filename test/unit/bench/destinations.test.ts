import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bursts, parseComputeLog, spreadOf } from '../../../bench/lib/destinations.js';

/** Lines as nova-compute 26 (Zed) logs them on the testbed (fake4, 2026-12-02), one unrelated line between. */
const FAKE4 = `2026-12-02 19:07:24.555 10392 INFO nova.compute.manager [None req-57e131c3-dd44-4212-9dc6-6f26d1475911 fc083cb89bd140b286e3e2b8a4813783 037467a812e649af9b0490b42b544467 - - default default] [instance: 6da82e5c-6513-4144-89b2-3be0bec0270e] Evacuating instance
2026-12-02 19:07:24.789 10392 INFO nova.compute.claims [None req-57e131c3-dd44-4212-9dc6-6f26d1475911 fc083cb89bd140b286e3e2b8a4813783 037467a812e649af9b0490b42b544467 - - default default] [instance: 6da82e5c-6513-4144-89b2-3be0bec0270e] Claim successful on node fake4
2026-12-02 19:07:24.828 10392 INFO nova.compute.manager [None req-908bfad9-e8cc-470a-9f6d-171050ecd5cd fc083cb89bd140b286e3e2b8a4813783 037467a812e649af9b0490b42b544467 - - default default] [instance: afbaf0d9-fd41-4bc5-ae4f-72c7b184a4f7] Evacuating instance
2026-12-02 19:07:25.120 10392 INFO nova.compute.resource_tracker [None req-908bfad9-e8cc-470a-9f6d-171050ecd5cd fc083cb89bd140b286e3e2b8a4813783 037467a812e649af9b0490b42b544467 - - default default] [instance: afbaf0d9-fd41-4bc5-ae4f-72c7b184a4f7] Updating resource usage from migration
2026-12-02 19:07:25.354 10392 INFO nova.compute.claims [None req-908bfad9-e8cc-470a-9f6d-171050ecd5cd fc083cb89bd140b286e3e2b8a4813783 037467a812e649af9b0490b42b544467 - - default default] [instance: afbaf0d9-fd41-4bc5-ae4f-72c7b184a4f7] Claim successful on node fake4
2026-12-02 19:08:30.000 10392 INFO nova.compute.manager [None req-00000000-0000-0000-0000-000000000000 fc083cb89bd140b286e3e2b8a4813783 037467a812e649af9b0490b42b544467 - - default default] [instance: 11111111-2222-3333-4444-555555555555] Evacuating instance
`;
const FAKE2 = `2026-12-02 19:07:26.000 10342 INFO nova.compute.manager [None req-1 a b - - default default] [instance: 99999999-2222-3333-4444-555555555555] Evacuating instance
2026-12-02 19:07:26.500 10342 INFO nova.compute.claims [None req-1 a b - - default default] [instance: 99999999-2222-3333-4444-555555555555] Claim successful on node fake2
`;

const test = suite('bench: destinations from nova-compute logs');

test('parses arrivals and claims per instance, in arrival order', () => {
  const list = parseComputeLog('fake4', FAKE4);
  assert.equal(
    list.map((e) => [e.instance.slice(0, 8), e.claimedAt === undefined ? null : e.claimedAt - e.arrivedAt]),
    [
      ['6da82e5c', 234],
      ['afbaf0d9', 526],
      ['11111111', null],
    ],
  );
  assert.is(list[0].arrivedAt, Date.parse('2026-12-02T19:07:24.555Z'));
});

test('bursts split on silence; the spread names the busiest destination and its claim span', () => {
  const all = [...parseComputeLog('fake4', FAKE4), ...parseComputeLog('fake2', FAKE2)].sort(
    (a, b) => a.arrivedAt - b.arrivedAt,
  );
  const groups = bursts(all, 12_000);
  assert.equal(
    groups.map((g) => g.length),
    [3, 1],
  );
  const spread = spreadOf(groups[0]);
  assert.equal(spread.perHost, { fake4: 2, fake2: 1 });
  assert.is(spread.busiest, 2);
  assert.is(spread.busiestClaimSpanMs, 565);
  assert.is(
    spread.arrivalToLastClaimMs,
    Date.parse('2026-12-02T19:07:26.500Z') - Date.parse('2026-12-02T19:07:24.555Z'),
  );
});

test.run();
