/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - `naclemu daemon CONFIG` (docs/deployment.md): keep the host
 * converged on a configuration while interfaces and namespaces come and go.
 */
#ifndef NACLEMU_DEPLOY_DAEMON_H
#define NACLEMU_DEPLOY_DAEMON_H

/*
 * struct daemon_req - what `naclemu daemon` asks for.
 * @config: the configuration file (deploy/config.h), read at start and
 *          again at each SIGHUP.
 */
struct daemon_req {
	const char *config;
};

/*
 * deploy_daemon() - run until SIGTERM or SIGINT:
 *   - apply @req->config at start (an invalid one: exit 1 at once) and
 *     again on SIGHUP (an invalid one then is logged and the last good
 *     one kept);
 *   - attach interfaces that appear and match an entry (the caller's
 *     namespace, the named namespaces of /run/netns, namespaces made
 *     later), within a second: a burst of changes is gathered for 100 ms,
 *     then the host converged once, step by step (a step that fails is
 *     logged and retried, with a back-off up to 30 s, without undoing the
 *     others);
 *   - detach what it manages when the interface goes (its pinned state
 *     would otherwise stay behind);
 *   - serve the exporter, write the metrics textfile (every 15 s and
 *     after each change) and run the flow log writer when the
 *     configuration asks.
 * Leaves every attached interface in place when it stops: enforcement
 * outlives the daemon, as a firewall's rules do.  Logs one line per action
 * to stderr.  Returns an exit status: 0 after SIGTERM/SIGINT, 1 for an
 * invalid configuration at start, 2 when the watch or the exporter cannot
 * start.
 */
int deploy_daemon(const struct daemon_req *req);

#endif /* NACLEMU_DEPLOY_DAEMON_H */
