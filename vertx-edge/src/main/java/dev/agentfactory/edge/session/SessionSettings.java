package dev.agentfactory.edge.session;

import java.time.Duration;

/**
 * Per-session limits and timers, resolved from the node's configuration.
 *
 * @param idlePause freeze the sandbox after this much idleness; zero for never
 * @param idleHibernate hibernate the sandbox after this much idleness; zero for never
 * @param slowClient disconnect a client whose socket stays backed up this long
 */
public record SessionSettings(
    int maxFrameBytes,
    Duration resumeGrace,
    Duration idlePause,
    Duration idleHibernate,
    Duration slowClient) {}
