package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.cgroup.SandboxCgroup;
import dev.agentfactory.sandbox.egress.EgressProxy;
import java.nio.file.Path;

/**
 * One run of a sandbox: its uid, workspace, cgroup and af-init session. A sandbox has one while it
 * is ready, leased or paused, none while hibernated; resuming creates a new one.
 *
 * @param uid the host uid it runs as
 * @param workspace its host workspace directory
 * @param mounted whether the workspace is a size-capped tmpfs mounted by the pool
 * @param cgroup its cgroup, or null when the host offers none
 * @param session af-init's command channel
 * @param log bwrap's and af-init's stderr
 * @param egress its egress proxy endpoint, or null when its template allows no egress
 */
record Incarnation(
    int uid,
    Path workspace,
    boolean mounted,
    SandboxCgroup cgroup,
    InitSession session,
    Path log,
    EgressProxy.Endpoint egress) {}
