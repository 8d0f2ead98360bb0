#!/usr/bin/env python3
"""Write a large, realistic Pacemaker 2.1 CIB for benchmarks.

Default: 32 cluster nodes (all online, with transient attributes) and exactly
2,000 resource instances:

  * 1 promotable clone (ocf:pacemaker:Stateful) on every node ...........   32
  * 8 anonymous clones (ocf:pacemaker:Dummy / ping) on every node ........  256
  * 1 globally-unique clone, clone-max=64, clone-node-max=2 ..............   64
  * 150 groups of 4 members ................................................  600
  * 1 fencing device + 1,047 primitives ...................................  1,048

Every active instance has status history (start or promote + a recurring
monitor), so `CIB_file=out.xml crm_mon -1 -Afr --output-as=xml` renders it.
Output is deterministic (no randomness, fixed timestamps).
op-digest values are placeholders: crm_mon only displays the state, but a scheduler
run (crm_simulate) on this file would schedule "definition changed" restarts.

Usage: gen-large-cib.py [OUT.xml] [--nodes N] [--instances N]
Without OUT the CIB goes to stdout; with OUT nothing is printed on stdout.
"""
import argparse
import sys
from xml.sax.saxutils import quoteattr

T = 1709287200  # 2024-03-01T10:00:00Z
FEATURE_SET = "3.16.1"


def q(v):
    return quoteattr(str(v))


class Op:
    """Sequential call ids per node, like the executor."""

    def __init__(self):
        self.calls = {}

    def rec(self, node, rsc, task, interval_ms, rc, op_id=None, when=T):
        call = self.calls.get(node, 0) + 1
        self.calls[node] = call
        key = "%s_%s_%d" % (rsc, task, interval_ms)
        if op_id is None:
            op_id = "%s_last_0" % rsc if interval_ms == 0 else key
        # transition-key = action:transition:target-rc:uuid; the target rc (8 for a
        # Promoted monitor) is what the scheduler compares rc-code with
        tk = "%d:1:%d:8a0b7f3e-0000-4000-8000-%012d" % (call, rc, call)
        extra = ' last-run=%s' % q(when) if interval_ms == 0 else ""
        return (
            '<lrm_rsc_op id=%s operation_key=%s operation=%s crm-debug-origin="do_update_resource" '
            'crm_feature_set=%s transition-key=%s transition-magic=%s exit-reason="" on_node=%s '
            'call-id="%d" rc-code="%d" op-status="0" interval="%d"%s last-rc-change=%s '
            'exec-time="%d" queue-time="0" op-digest="0123456789abcdef0123456789abcdef"/>'
            % (q(op_id), q(key), q(task), q(FEATURE_SET), q(tk), q("0:%d;%s" % (rc, tk)), q(node),
               call, rc, interval_ms, extra, q(when), 20 + call % 50)
        )


def primitive(rid, agent="ocf:pacemaker:Dummy", mon_s=10, params=None, meta=None, promotable=False):
    cls, prov, typ = agent.split(":")
    out = ['<primitive id=%s class=%s%s type=%s>' % (q(rid), q(cls), (" provider=%s" % q(prov)) if prov else "", q(typ))]
    if params:
        out.append('<instance_attributes id=%s>' % q(rid + "-instance_attributes"))
        for k, v in params:
            out.append('<nvpair id=%s name=%s value=%s/>' % (q("%s-instance_attributes-%s" % (rid, k)), q(k), q(v)))
        out.append('</instance_attributes>')
    if meta:
        out.append('<meta_attributes id=%s>' % q(rid + "-meta_attributes"))
        for k, v in meta:
            out.append('<nvpair id=%s name=%s value=%s/>' % (q("%s-meta_attributes-%s" % (rid, k)), q(k), q(v)))
        out.append('</meta_attributes>')
    out.append('<operations>')
    if promotable:
        out.append('<op id=%s name="monitor" interval="10s" timeout="20s" role="Promoted"/>' % q(rid + "-monitor-interval-10s"))
        out.append('<op id=%s name="monitor" interval="11s" timeout="20s" role="Unpromoted"/>' % q(rid + "-monitor-interval-11s"))
    else:
        out.append('<op id=%s name="monitor" interval="%ds" timeout="20s"/>' % (q("%s-monitor-interval-%ds" % (rid, mon_s)), mon_s))
    out.append('</operations></primitive>')
    return "".join(out)


def clone(cid, prim_xml, meta):
    m = "".join('<nvpair id=%s name=%s value=%s/>' % (q("%s-meta_attributes-%s" % (cid, k)), q(k), q(v)) for k, v in meta)
    return '<clone id=%s><meta_attributes id=%s>%s</meta_attributes>%s</clone>' % (q(cid), q(cid + "-meta_attributes"), m, prim_xml)


def build(nnodes, ninst):
    nodes = ["node%02d" % i for i in range(1, nnodes + 1)]
    ops = Op()
    lrm = {n: [] for n in nodes}  # node -> list of lrm_resource xml
    resources, constraints = [], []
    count = 0

    def history(node, rsc_id, agent, entries):
        cls, rest = agent.split(":", 1)
        if cls == "stonith":
            prov, typ = None, rest
        else:
            prov, typ = rest.split(":")
        head = '<lrm_resource id=%s class=%s%s type=%s>' % (q(rsc_id), q(cls), (" provider=%s" % q(prov)) if prov else "", q(typ))
        lrm[node].append(head + "".join(entries) + "</lrm_resource>")

    def started(node, rsc_id, agent, mon_s=10):
        history(node, rsc_id, agent, [ops.rec(node, rsc_id, "start", 0, 0),
                                      ops.rec(node, rsc_id, "monitor", mon_s * 1000, 0)])

    # promotable clone: promoted on node01
    pa = "ocf:pacemaker:Stateful"
    resources.append(clone("pg-clone", primitive("pg", pa, promotable=True),
                           [("promotable", "true"), ("promoted-max", "1"), ("promoted-node-max", "1"),
                            ("clone-max", str(nnodes)), ("clone-node-max", "1"), ("notify", "true")]))
    for i, n in enumerate(nodes):
        if i == 0:
            # start, then promote: only the latest non-recurring op is kept as pg_last_0
            ops.rec(n, "pg", "start", 0, 0)
            history(n, "pg", pa, [ops.rec(n, "pg", "promote", 0, 0),
                                  ops.rec(n, "pg", "monitor", 10000, 8)])
        else:
            started(n, "pg", pa, 11)
        count += 1
    constraints.append('<rsc_location id="loc-pg-clone-promoted" rsc="pg-clone" role="Promoted" node=%s score="100"/>' % q(nodes[0]))

    # anonymous clones on every node
    for c in range(8):
        agent = "ocf:pacemaker:ping" if c == 0 else "ocf:pacemaker:Dummy"
        pid = "ping" if c == 0 else "svc%d" % c
        params = [("name", "pingd"), ("host_list", "10.0.0.1"), ("multiplier", "100")] if c == 0 else None
        resources.append(clone(pid + "-clone", primitive(pid, agent, params=params), [("interleave", "true")]))
        for n in nodes:
            started(n, pid, agent)
            count += 1

    # globally-unique clone: 2 instances per node
    umax = 2 * nnodes
    resources.append(clone("uip-clone", primitive("uip", params=[("ip_base", "10.20.0.0")]),
                           [("globally-unique", "true"), ("clone-max", str(umax)), ("clone-node-max", "2")]))
    for k in range(umax):
        started(nodes[k % nnodes], "uip:%d" % k, "ocf:pacemaker:Dummy")
        count += 1

    # fencing device
    resources.append('<primitive id="fence-ipmi" class="stonith" type="fence_ipmilan">'
                     '<instance_attributes id="fence-ipmi-instance_attributes">'
                     '<nvpair id="fence-ipmi-instance_attributes-ip" name="ip" value="10.0.0.250"/>'
                     '<nvpair id="fence-ipmi-instance_attributes-username" name="username" value="admin"/>'
                     '</instance_attributes><operations>'
                     '<op id="fence-ipmi-monitor-interval-60s" name="monitor" interval="60s"/>'
                     '</operations></primitive>')
    started(nodes[-1], "fence-ipmi", "stonith:fence_ipmilan", 60)
    count += 1

    # groups of 4
    ngroups = 150
    for g in range(ngroups):
        gid = "grp%03d" % g
        node = nodes[g % nnodes]
        members = []
        for m, kind in enumerate(("fs", "ip", "db", "app")):
            rid = "%s-%s" % (gid, kind)
            members.append(primitive(rid, "ocf:heartbeat:IPaddr2" if kind == "ip" else "ocf:pacemaker:Dummy",
                                     params=[("ip", "10.%d.%d.%d" % (30 + g // 250, g % 250, 10 + m))] if kind == "ip" else None))
            started(node, rid, "ocf:heartbeat:IPaddr2" if kind == "ip" else "ocf:pacemaker:Dummy")
            count += 1
        resources.append('<group id=%s>%s</group>' % (q(gid), "".join(members)))
        constraints.append('<rsc_location id=%s rsc=%s node=%s score="100"/>' % (q("loc-" + gid), q(gid), q(node)))

    # plain primitives for the rest
    p = 0
    while count < ninst:
        rid = "rsc%04d" % p
        node = nodes[p % nnodes]
        resources.append(primitive(rid, mon_s=10 + p % 20))
        started(node, rid, "ocf:pacemaker:Dummy", 10 + p % 20)
        constraints.append('<rsc_location id=%s rsc=%s node=%s score="50"/>' % (q("loc-" + rid), q(rid), q(node)))
        count += 1
        p += 1

    out = []
    w = out.append
    w('<cib crm_feature_set="%s" validate-with="pacemaker-3.9" epoch="4242" num_updates="17" admin_epoch="0" '
      'cib-last-written="Fri Mar  1 10:00:00 2024" update-origin="node01" update-client="cibadmin" '
      'update-user="root" have-quorum="1" dc-uuid="1">\n' % FEATURE_SET)
    w('  <configuration>\n    <crm_config>\n      <cluster_property_set id="cib-bootstrap-options">\n')
    for k, v in (("have-watchdog", "false"), ("dc-version", "2.1.5-a3f44794f94"),
                 ("cluster-infrastructure", "corosync"), ("cluster-name", "bigcluster"),
                 ("stonith-enabled", "true"), ("no-quorum-policy", "stop")):
        w('        <nvpair id=%s name=%s value=%s/>\n' % (q("cib-bootstrap-options-" + k), q(k), q(v)))
    w('      </cluster_property_set>\n    </crm_config>\n    <nodes>\n')
    for i, n in enumerate(nodes, 1):
        w('      <node id="%d" uname=%s><instance_attributes id="nodes-%d">'
          '<nvpair id="nodes-%d-rack" name="rack" value="r%d"/></instance_attributes></node>\n' % (i, q(n), i, i, (i - 1) // 8 + 1))
    w('    </nodes>\n    <resources>\n')
    for r in resources:
        w('      ' + r + '\n')
    w('    </resources>\n    <constraints>\n')
    for c in constraints:
        w('      ' + c + '\n')
    w('    </constraints>\n    <rsc_defaults>\n      <meta_attributes id="rsc-options">'
      '<nvpair id="rsc-options-resource-stickiness" name="resource-stickiness" value="100"/>'
      '</meta_attributes>\n    </rsc_defaults>\n  </configuration>\n  <status>\n')
    for i, n in enumerate(nodes, 1):
        w('    <node_state id="%d" uname=%s in_ccm="true" crmd="online" crm-debug-origin="do_update_resource" '
          'join="member" expected="member">\n' % (i, q(n)))
        w('      <lrm id="%d">\n        <lrm_resources>\n' % i)
        for r in lrm[n]:
            w('          ' + r + '\n')
        w('        </lrm_resources>\n      </lrm>\n')
        attrs = [("#attrd-protocol", "5"), ("#feature-set", FEATURE_SET), ("pingd", "100"),
                 ("master-pg", "100" if i == 1 else "10"), ("disk-free-pct", str(40 + i))]
        w('      <transient_attributes id="%d">\n        <instance_attributes id="status-%d">\n' % (i, i))
        for k, v in attrs:
            w('          <nvpair id=%s name=%s value=%s/>\n' % (q("status-%d-%s" % (i, k)), q(k), q(v)))
        w('        </instance_attributes>\n      </transient_attributes>\n    </node_state>\n')
    w('  </status>\n</cib>\n')
    return "".join(out), count


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", help="output file (default: stdout)")
    ap.add_argument("--nodes", type=int, default=32)
    ap.add_argument("--instances", type=int, default=2000)
    a = ap.parse_args()
    fixed = 11 * a.nodes + 1 + 150 * 4  # clones + fencing + groups
    if a.instances < fixed:
        ap.error("--instances must be >= %d for %d nodes" % (fixed, a.nodes))
    xml, n = build(a.nodes, a.instances)
    assert n == a.instances, (n, a.instances)
    if a.out:
        with open(a.out, "w") as f:
            f.write(xml)
    else:
        sys.stdout.write(xml)


if __name__ == "__main__":
    main()
