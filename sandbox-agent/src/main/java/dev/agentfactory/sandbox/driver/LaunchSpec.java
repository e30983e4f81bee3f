package dev.agentfactory.sandbox.driver;

import java.nio.file.Path;

/**
 * What a driver needs to start one sandbox.
 *
 * @param id the sandbox id
 * @param init the af-init executable on the host
 * @param workspace the sandbox's private host directory, already owned by {@code uid}
 * @param log where the sandbox's own diagnostics (bwrap, af-init stderr) go
 * @param uid the host uid the sandbox runs as
 */
public record LaunchSpec(String id, Path init, Path workspace, Path log, int uid) {}
